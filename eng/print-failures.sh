#!/usr/bin/env bash
# Prints every failed test of the given .trx files: its name, the end of what it wrote, the top of its stack trace
# and the assertion's message. CI shows only the end of a run's output, so the closing lines of eng/test.sh must
# say why a test failed, not only which one. Perl (perl-base is in every Debian) reads the XML: no other tool is
# installed on a fresh machine.
#   bash eng/print-failures.sh artifacts/test-results/*.trx
set -euo pipefail

for trx in "$@"; do
  [ -f "$trx" ] || continue
  perl -0777 -ne '
    my $file = $ARGV =~ s{.*/}{}r;
    sub text {
      my ($s) = @_;
      $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g; $s =~ s/&apos;/\x27/g;
      $s =~ s/&#x([0-9A-Fa-f]+);/chr(hex($1))/ge; $s =~ s/\r//g; $s =~ s/&amp;/&/g;
      return $s;
    }
    sub indent { return join("", map { "    $_\n" } @_); }
    sub first_lines { my ($s, $n) = @_; my @l = split /\n/, $s; splice(@l, $n) if @l > $n; return indent(@l); }
    sub last_lines { my ($s, $n) = @_; my @l = split /\n/, $s; @l = @l[-$n .. -1] if @l > $n; return indent(@l); }
    while (/<UnitTestResult\b([^>]*\boutcome="Failed"[^>]*)>(.*?)<\/UnitTestResult>/gs) {
      my ($attributes, $body) = ($1, $2);
      my ($name) = $attributes =~ /testName="([^"]*)"/;
      print "---- failed in $file: ", text($name // "?"), "\n";
      # The message last: it is what the end of a truncated log must still show.
      if ($body =~ /<StdOut>(.*?)<\/StdOut>/s) { print "  output (last 40 lines):\n", last_lines(text($1), 40); }
      if ($body =~ /<StackTrace>(.*?)<\/StackTrace>/s) { print "  stack (top):\n", first_lines(text($1), 8); }
      if ($body =~ /<Message>(.*?)<\/Message>/s) { print "  message:\n", first_lines(text($1), 20); }
    }
  ' "$trx"
done
