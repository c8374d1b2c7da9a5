using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

/// <summary>
/// The certificate check of one endpoint, called as SslStream calls it: with the errors SslStream found using the operating
/// system's trust store, which does not know the test CAs.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ServerCertificateValidatorTests : IDisposable
{
    private const string Endpoint = "haproxy.example:5671";
    private const SslPolicyErrors NameMismatch = SslPolicyErrors.RemoteCertificateNameMismatch;
    private const SslPolicyErrors ChainErrors = SslPolicyErrors.RemoteCertificateChainErrors;

    private static readonly X509Certificate2 s_clusterCa = TestCertificates.CreateAuthority("RabbitHa Test CA");
    private static readonly X509Certificate2 s_otherCa = TestCertificates.CreateAuthority("Other CA");
    private static readonly X509Certificate2 s_node = TestCertificates.CreateServer(
        s_clusterCa, "rmq1", ["rmq1", "localhost"], [IPAddress.Loopback]);

    private readonly TestCertificates _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Validate_WhenChainEndsAtConfiguredCa_Accepts()
    {
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_clusterCa));

        // SslStream reports a chain error: the operating system does not trust the test CA.
        bool accepted = validator.Validate(this, s_node, OsChain(s_node, s_clusterCa), ChainErrors);

        Assert.True(accepted);
        Assert.Null(validator.LastRefusal);
    }

    [Fact]
    public void Validate_WhenChainEndsAtConfiguredCaAmongSeveral_Accepts()
    {
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_otherCa, s_clusterCa));

        Assert.True(validator.Validate(this, s_node, chain: null, ChainErrors));
    }

    [Fact]
    public void Validate_WhenChainEndsAtAnotherCa_RefusesNamingBothCas()
    {
        using X509Certificate2 foreign = TestCertificates.CreateServer(s_otherCa, "rmq1", ["rmq1"]);
        string caFile = _files.WritePem(s_clusterCa);
        ServerCertificateValidator validator = Create("rmq1", caFile);

        bool accepted = validator.Validate(this, foreign, OsChain(foreign, s_otherCa), ChainErrors);

        Assert.False(accepted);
        CertificateRefusal refusal = Assert.IsType<CertificateRefusal>(validator.LastRefusal);
        Assert.Equal(
            $"the certificate's chain ends at 'CN=Other CA', which is not among the 1 certificate(s) of Tls:CaCertificatePath " +
            $"('CN=RabbitHa Test CA' in '{caFile}')",
            refusal.Problem);
        Assert.Equal((Endpoint, "rmq1", "Tls:ServerName"), (refusal.Endpoint, refusal.ServerName, refusal.ServerNameSource));
    }

    [Fact]
    public void Validate_WhenCaFileSetAndOperatingSystemTrustsTheChain_StillRefusesAChainToAnotherCa()
    {
        // As for a certificate from a public CA: SslStream finds no error, but only the configured CAs count.
        using X509Certificate2 foreign = TestCertificates.CreateServer(s_otherCa, "rmq1", ["rmq1"]);
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_clusterCa));

        Assert.False(validator.Validate(this, foreign, chain: null, SslPolicyErrors.None));
        Assert.Contains("ends at 'CN=Other CA'", validator.LastRefusal?.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenCaRegeneratedWithTheSameName_SaysSo()
    {
        using X509Certificate2 regenerated = TestCertificates.CreateAuthority("RabbitHa Test CA");
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(regenerated));

        Assert.False(validator.Validate(this, s_node, chain: null, ChainErrors));
        Assert.Contains("the file has a certificate of that name with another key", validator.LastRefusal?.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenNameMismatchWithTheRightCa_RefusesNamingTheSubjectAlternativeNames()
    {
        ServerCertificateValidator validator = Create("wrong.example", _files.WritePem(s_clusterCa));

        bool accepted = validator.Validate(this, s_node, OsChain(s_node, s_clusterCa), NameMismatch | ChainErrors);

        Assert.False(accepted);
        Assert.Equal(
            "the certificate is issued for rmq1, localhost, 127.0.0.1 (subject alternative names), not for 'wrong.example'",
            validator.LastRefusal?.Problem);
    }

    [Fact]
    public void Validate_WhenNameMismatchAccepted_Accepts()
    {
        ServerCertificateValidator validator = Create("wrong.example", _files.WritePem(s_clusterCa), acceptable: NameMismatch);

        Assert.True(validator.Validate(this, s_node, chain: null, NameMismatch | ChainErrors));
    }

    [Fact]
    public void Validate_WhenChainErrorsAcceptedWithCaFile_AcceptsAChainToAnotherCa()
    {
        using X509Certificate2 foreign = TestCertificates.CreateServer(s_otherCa, "rmq1", ["rmq1"]);
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_clusterCa), acceptable: ChainErrors);

        Assert.True(validator.Validate(this, foreign, chain: null, ChainErrors));
    }

    [Fact]
    public void Validate_WhenNoCertificateSent_Refuses()
    {
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_clusterCa));

        Assert.False(validator.Validate(this, certificate: null, chain: null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.Equal("the server sent no certificate", validator.LastRefusal?.Problem);
    }

    [Fact]
    public void Validate_WhenCertificateExpired_SaysWhen()
    {
        DateTimeOffset notAfter = DateTimeOffset.UtcNow.AddDays(-2);
        using X509Certificate2 expired = TestCertificates.CreateServer(
            s_clusterCa, "rmq1", ["rmq1"], notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: notAfter);
        ServerCertificateValidator validator = Create("rmq1", _files.WritePem(s_clusterCa));

        Assert.False(validator.Validate(this, expired, chain: null, ChainErrors));
        string expected = expired.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"the certificate expired at {expected} UTC (NotAfter)", validator.LastRefusal?.Problem);
    }

    public static TheoryData<SslPolicyErrors, SslPolicyErrors> EveryErrorCombination()
    {
        var data = new TheoryData<SslPolicyErrors, SslPolicyErrors>();
        for (int errors = 0; errors < 8; errors++)
        {
            for (int acceptable = 0; acceptable < 8; acceptable++)
            {
                data.Add((SslPolicyErrors)errors, (SslPolicyErrors)acceptable);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryErrorCombination))]
    public void Validate_WithoutCaFile_DecidesAsRabbitMqClientDoes(SslPolicyErrors errors, SslPolicyErrors acceptable)
    {
        var validator = new ServerCertificateValidator(Endpoint, "rmq1", "Tls:ServerName", acceptable, checkRevocation: false, authorities: null);
        bool rabbitMqClientRule = (errors & ~acceptable) == SslPolicyErrors.None;

        bool accepted = validator.Validate(this, s_node, OsChain(s_node, s_clusterCa), errors);

        Assert.Equal(rabbitMqClientRule, accepted);
        Assert.Equal(accepted, validator.LastRefusal is null);
    }

    [Fact]
    public void Validate_WithoutCaFile_WhenRootUntrusted_NamesItAndPointsToCaCertificatePath()
    {
        var validator = new ServerCertificateValidator(Endpoint, "rmq1", "Tls:ServerName", SslPolicyErrors.None, checkRevocation: false, authorities: null);

        Assert.False(validator.Validate(this, s_node, OsChain(s_node, s_clusterCa), ChainErrors));
        Assert.Equal(
            "untrusted root 'CN=RabbitHa Test CA' (not in the operating system's trust store; set Tls:CaCertificatePath to the cluster's CA)",
            validator.LastRefusal?.Problem);
    }

    [Fact]
    public void Validate_WhenRefusedAgainForTheSameProblem_ReportsOnceUntilAccepted()
    {
        var reported = new List<CertificateRefusal>();
        var validator = new ServerCertificateValidator(
            Endpoint, "wrong.example", "Tls:ServerName", SslPolicyErrors.None, checkRevocation: false, authorities: null, reported.Add);

        validator.Validate(this, s_node, chain: null, NameMismatch);
        validator.ForgetRefusal();
        validator.Validate(this, s_node, chain: null, NameMismatch);
        Assert.Single(reported);

        validator.Validate(this, s_node, chain: null, SslPolicyErrors.None);
        Assert.Null(validator.LastRefusal);
        validator.Validate(this, s_node, chain: null, NameMismatch);
        Assert.Equal(2, reported.Count);
    }

    [Fact]
    public void ForgetRefusal_ClearsTheLastRefusal()
    {
        var validator = new ServerCertificateValidator(Endpoint, "wrong.example", "Tls:ServerName", SslPolicyErrors.None, checkRevocation: false, authorities: null);
        validator.Validate(this, s_node, chain: null, NameMismatch);

        validator.ForgetRefusal();

        Assert.Null(validator.LastRefusal);
    }

    private static ServerCertificateValidator Create(string serverName, string caFile, SslPolicyErrors acceptable = SslPolicyErrors.None) =>
        new(Endpoint, serverName, "Tls:ServerName", acceptable, checkRevocation: false, CertificateAuthorities.Load(caFile));

    /// <summary>The chain SslStream would pass: built with the operating system's store, the CA sent along by the server.</summary>
    private static X509Chain OsChain(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.Add(issuer);
        chain.Build(certificate);
        return chain;
    }
}
