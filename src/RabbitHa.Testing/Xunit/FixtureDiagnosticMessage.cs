using Xunit.Abstractions;

namespace RabbitHa.Testing.Xunit;

/// <summary>A line for xUnit's diagnostic message sink (xunit.execution's own type is not referenced by this package).</summary>
internal sealed class FixtureDiagnosticMessage(string message) : IDiagnosticMessage
{
    public string Message { get; } = message;
}
