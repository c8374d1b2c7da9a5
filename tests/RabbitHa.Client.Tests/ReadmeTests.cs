namespace RabbitHa.Client.Tests;

/// <summary>README's first test is a file that eng/test.sh compiles and runs: the two must not drift apart.</summary>
[Trait("Category", "Unit")]
public sealed class ReadmeTests
{
    [Fact]
    public void Readme_ShowsTheFirstTestExactlyAsThePackageSmokeTestRunsIt()
    {
        string root = RepositoryRoot();
        string test = File.ReadAllText(Path.Combine(root, "tests", "PackageSmoke", "PackageSmokeTests.cs")).ReplaceLineEndings("\n");
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");

        // From the first type on: the file's opening comment says where it comes from, README says it in prose.
        string code = test[test.IndexOf("public sealed record OrderPlaced", StringComparison.Ordinal)..];

        Assert.Contains(code, readme, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RabbitHa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RabbitHa.sln not found above " + AppContext.BaseDirectory);
    }
}
