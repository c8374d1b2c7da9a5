using Mono.Cecil;
using RabbitHa.Client.Internal.Connection;
using RabbitHa.Client.Internal.Topology;

namespace RabbitHa.Client.Tests.Architecture;

/// <summary>
/// docs/ARCHITECTURE.md's map, checked against the compiled RabbitHa.Client: every type has an area, and no area uses one
/// that it may not (<see cref="ClientLayers.Allowed"/>); and every public type is named as its Naming paragraph says.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ArchitectureTests
{
    private static readonly Lazy<TypeReferences> s_references =
        new(() => TypeReferences.Read(typeof(RabbitHaOptions).Assembly.Location));

    [Fact]
    public void Dependencies_PointOneWay()
    {
        List<string> violations = [];
        foreach ((TypeDefinition type, HashSet<TypeDefinition> referenced) in s_references.Value.ByType)
        {
            if (AreaOf(type) is not { } area)
            {
                continue;
            }

            string[] allowed = ClientLayers.Allowed[area];
            foreach (TypeDefinition target in referenced)
            {
                if (AreaOf(target) is { } targetArea && targetArea != area && !allowed.Contains(targetArea, StringComparer.Ordinal))
                {
                    violations.Add(
                        $"{type.FullName} ({area}) references {target.FullName} ({targetArea}); the rule: {area} may use " +
                        $"{(allowed.Length == 0 ? "no other area" : string.Join(", ", allowed))} (docs/ARCHITECTURE.md, Dependencies).");
                }
            }
        }

        violations.Sort(StringComparer.Ordinal);
        Assert.True(violations.Count == 0, $"{violations.Count} forbidden reference(s):{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
    }

    [Fact]
    public void EveryPublicType_IsPlacedInAnArea()
    {
        string[] unplaced = [.. s_references.Value.ByType.Keys
            .Where(static t => t.IsPublic && !ClientLayers.PublicTypes.ContainsKey(t.FullName))
            .Select(static t => t.FullName)
            .Order(StringComparer.Ordinal)];

        Assert.True(unplaced.Length == 0,
            $"Public type(s) with no area in ClientLayers.PublicTypes (place each one as docs/ARCHITECTURE.md says): {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void PublicTypes_AreInTheNamespacesUsersOpen()
    {
        string[] elsewhere = [.. s_references.Value.ByType.Keys
            .Where(static t => t.IsPublic && !ClientLayers.PublicNamespaces.Contains(t.Namespace, StringComparer.Ordinal))
            .Select(static t => t.FullName)
            .Order(StringComparer.Ordinal)];

        Assert.Empty(elsewhere);
    }

    [Fact]
    public void EveryPublicType_CarriesRabbitHaInItsName()
    {
        // Top-level types only (ByType's keys): a nested type is named through the type it is nested in.
        string[] unnamed = [.. s_references.Value.ByType.Keys
            .Where(static t => t.IsPublic && !t.Name.Contains("RabbitHa", StringComparison.Ordinal))
            .Select(static t => t.FullName)
            .Order(StringComparer.Ordinal)];

        Assert.True(unnamed.Length == 0,
            $"Public type(s) without \"RabbitHa\" in their name (docs/ARCHITECTURE.md, Naming: RabbitHa<What>, or " +
            $"<How>RabbitHa<What> for an implementation of IRabbitHa<What>): {string.Join(", ", unnamed)}");
    }

    [Fact]
    public void EveryInternalType_LivesInTheNamespaceOfItsArea()
    {
        string[] misplaced = [.. s_references.Value.ByType.Keys
            .Where(static t => !t.IsPublic && IsOurs(t) && InternalArea(t) is null)
            .Select(static t => t.FullName)
            .Order(StringComparer.Ordinal)];

        Assert.True(misplaced.Length == 0,
            $"Internal type(s) outside {ClientLayers.InternalNamespace}.<Area> ({string.Join(", ", ClientLayers.Allowed.Keys)}): {string.Join(", ", misplaced)}");
    }

    [Fact]
    public void TheCheck_SeesReferencesMadeOnlyInsideMethodBodies()
    {
        // RabbitHaConnection names TopologyDeclarer in no field or signature, only in calls (some inside async state machines):
        // if the reader missed IL operands or nested types, Dependencies_PointOneWay would pass on an empty graph.
        TypeDefinition connection = Find($"{ClientLayers.InternalNamespace}.{ClientLayers.Connection}.RabbitHaConnection");

        Assert.Contains(s_references.Value.ByType[connection], static t => t.Name == "TopologyDeclarer");
    }

    private static TypeDefinition Find(string fullName) =>
        s_references.Value.ByType.Keys.Single(t => t.FullName == fullName);

    private static string? AreaOf(TypeDefinition type) =>
        type.IsPublic ? ClientLayers.PublicTypes.GetValueOrDefault(type.FullName) : InternalArea(type);

    private static string? InternalArea(TypeDefinition type)
    {
        string prefix = ClientLayers.InternalNamespace + ".";
        if (!type.Namespace.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        string area = type.Namespace[prefix.Length..].Split('.')[0];
        return ClientLayers.Allowed.ContainsKey(area) ? area : null;
    }

    /// <summary>Written in RabbitHa.Client, as opposed to what the compiler and source generators add in namespaces of their own.</summary>
    private static bool IsOurs(TypeDefinition type) =>
        ClientLayers.PublicNamespaces.Any(ns => type.Namespace == ns || type.Namespace.StartsWith(ns + ".", StringComparison.Ordinal));
}
