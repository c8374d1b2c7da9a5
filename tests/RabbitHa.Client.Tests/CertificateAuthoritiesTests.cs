using System.Security.Cryptography.X509Certificates;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Tests.TestSupport;

namespace RabbitHa.Client.Tests;

[Trait("Category", "Unit")]
public sealed class CertificateAuthoritiesTests : IDisposable
{
    private static readonly X509Certificate2 s_clusterCa = TestCertificates.CreateAuthority("RabbitHa Test CA");
    private static readonly X509Certificate2 s_otherCa = TestCertificates.CreateAuthority("Other CA");

    private readonly TestCertificates _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void TryLoad_WhenPemWithSeveralCertificates_ReadsThemAllAndIgnoresOtherBlocks()
    {
        string path = _files.Write(".pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + s_clusterCa.ExportCertificatePem() + "\n" + s_otherCa.ExportCertificatePem());

        Assert.True(CertificateAuthorities.TryLoad(path, out CertificateAuthorities? authorities, out string? problem), problem);
        Assert.Equal(["CN=RabbitHa Test CA", "CN=Other CA"], authorities.Certificates.Select(c => c.Subject));
        Assert.Equal("'CN=RabbitHa Test CA', 'CN=Other CA'", authorities.Subjects);
    }

    [Fact]
    public void TryLoad_WhenDer_ReadsIt()
    {
        Assert.True(CertificateAuthorities.TryLoad(_files.WriteDer(s_clusterCa), out CertificateAuthorities? authorities, out string? problem), problem);
        Assert.Equal("CN=RabbitHa Test CA", Assert.Single(authorities.Certificates).Subject);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    public void TryLoad_WhenNoCertificate_SaysItHoldsNone(string content)
    {
        Assert.False(CertificateAuthorities.TryLoad(_files.Write(".pem", content), out _, out string? problem));
        Assert.Equal("it holds none", problem);
    }

    [Fact]
    public void TryLoad_WhenNotACertificate_SaysItCouldNotBeRead()
    {
        Assert.False(CertificateAuthorities.TryLoad(_files.Write(".txt", "not a certificate"), out _, out string? problem));
        Assert.StartsWith("it could not be read (", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenFileMissing_ThrowsNamingTheOption()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rabbitha-missing-{Guid.NewGuid():N}.pem");

        var ex = Assert.Throws<InvalidOperationException>(() => CertificateAuthorities.Load(path));

        Assert.StartsWith("RabbitHa:Tls:CaCertificatePath must name a PEM or DER file holding at least one certificate; it could not be read (", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith($"(was '{path}').", ex.Message, StringComparison.Ordinal);
    }
}
