using System.Globalization;
using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Internal.Publishing;

/// <summary>
/// The broker's reason for closing a publishing channel because of a publish (403/404/405/406), read for what it
/// names: an exchange, a body size, an expiration, a user id. Every message in flight on the channel fails with the
/// same reason; what it names tells the message that caused it from those that only shared the channel.
/// </summary>
/// <remarks>
/// The texts are RabbitMQ's own (<c>rabbit_channel</c>), e.g. <c>NOT_FOUND - no exchange 'x' in vhost '/'</c> or
/// <c>PRECONDITION_FAILED - message size 20000000 is larger than configured max size 16777216</c>. A text that names
/// nothing known is <see cref="RejectionVerdict.Unexplained"/>, and the publisher finds the culprit by sending the
/// suspects alone instead: reading the text is a shortcut, never the only way.
/// </remarks>
internal sealed partial class ChannelRejection
{
    private ChannelRejection(ushort replyCode, string replyText)
    {
        ReplyCode = replyCode;
        ReplyText = replyText;
    }

    public ushort ReplyCode { get; }

    public string ReplyText { get; }

    /// <summary>Gets the exchange the broker named (no such exchange, access refused, internal exchange).</summary>
    public string? Exchange { get; private init; }

    /// <summary>Gets the routing key of a refused topic permission (with <see cref="Exchange"/>).</summary>
    public string? RoutingKey { get; private init; }

    /// <summary>Gets the body size the broker refused, with <see cref="MaxMessageSize"/>, the largest it accepts.</summary>
    public long? MessageSize { get; private init; }

    public long? MaxMessageSize { get; private init; }

    public string? Expiration { get; private init; }

    public string? UserId { get; private init; }

    /// <summary>Gets a value indicating whether every message to <see cref="Exchange"/> is refused, whatever its routing key.</summary>
    public bool RefusesExchange => Exchange is not null && RoutingKey is null;

    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{ReplyCode} {ReplyText}");

    public static ChannelRejection Read(ShutdownEventArgs reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var text = reason.ReplyText ?? string.Empty;
        if (reason.ReplyCode is Constants.NotFound or Constants.AccessRefused)
        {
            if (TopicPattern().Match(text) is { Success: true } topic)
            {
                return new(reason.ReplyCode, text) { Exchange = topic.Groups["exchange"].Value, RoutingKey = topic.Groups["key"].Value };
            }

            if (ExchangePattern().Match(text) is { Success: true } exchange)
            {
                return new(reason.ReplyCode, text) { Exchange = exchange.Groups["exchange"].Value };
            }
        }
        else if (reason.ReplyCode == Constants.PreconditionFailed)
        {
            if (SizePattern().Match(text) is { Success: true } size
                && long.TryParse(size.Groups["size"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var messageSize)
                && long.TryParse(size.Groups["max"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var maxSize))
            {
                return new(reason.ReplyCode, text) { MessageSize = messageSize, MaxMessageSize = maxSize };
            }

            if (ExpirationPattern().Match(text) is { Success: true } expiration)
            {
                return new(reason.ReplyCode, text) { Expiration = expiration.Groups["value"].Value };
            }

            if (UserIdPattern().Match(text) is { Success: true } userId)
            {
                return new(reason.ReplyCode, text) { UserId = userId.Groups["value"].Value };
            }
        }

        return new(reason.ReplyCode, text);
    }

    /// <summary>Whether <paramref name="attempt"/> is what the broker refused, judged by what the answer names.</summary>
    public RejectionVerdict Judge(PublishAttempt attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (Exchange is not null)
        {
            return Verdict(attempt.Exchange == Exchange && (RoutingKey is null || attempt.RoutingKey == RoutingKey));
        }

        if (MessageSize is { } size)
        {
            // A body of exactly the refused size is over the limit too, whichever message it belongs to.
            return Verdict(attempt.Body.Length == size);
        }

        if (Expiration is not null)
        {
            return Verdict(attempt.Properties.Expiration == Expiration);
        }

        if (UserId is not null)
        {
            return Verdict(attempt.Properties.UserId == UserId);
        }

        return RejectionVerdict.Unexplained;
    }

    private static RejectionVerdict Verdict(bool named) => named ? RejectionVerdict.Culprit : RejectionVerdict.Innocent;

    [GeneratedRegex(@"access to topic '(?<key>.*)' in exchange '(?<exchange>.*)' in vhost '", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TopicPattern();

    // "no exchange 'x' in vhost '/'", "access to exchange 'x' in vhost '/' refused for user 'u'",
    // "cannot publish to internal exchange 'x' in vhost '/'".
    [GeneratedRegex(@"exchange '(?<exchange>.*)' in vhost '", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ExchangePattern();

    [GeneratedRegex(@"message size (?<size>\d+) is larger than (?:configured )?max size (?<max>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"invalid expiration '(?<value>.*)': ", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ExpirationPattern();

    [GeneratedRegex(@"user_id property set to '(?<value>.*)' but authenticated user was '", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UserIdPattern();
}
