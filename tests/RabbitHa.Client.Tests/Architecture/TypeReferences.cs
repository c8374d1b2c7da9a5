using Mono.Cecil;
using Mono.Cecil.Cil;

namespace RabbitHa.Client.Tests.Architecture;

/// <summary>
/// Which of an assembly's own types each of its types refers to, read from the compiled assembly: base types, interfaces,
/// fields, properties, events, method signatures, locals, IL operands, catch clauses, custom attributes (and the types
/// they take as arguments), generic arguments and constraints. A nested or compiler-generated type (an async state
/// machine, a lambda's closure) counts as its outermost declaring type, so what a method does inside them is its type's.
/// </summary>
/// <remarks>
/// Read from IL rather than from source so that nothing escapes it: a <c>using</c> is not a dependency, a type named only
/// in a local or in a lambda is. XML doc <c>cref</c>s are not in the assembly and are not dependencies.
/// </remarks>
internal sealed class TypeReferences
{
    private readonly ModuleDefinition _module;
    private readonly Dictionary<TypeDefinition, HashSet<TypeDefinition>> _references = [];

    private TypeReferences(ModuleDefinition module)
    {
        _module = module;
        foreach (TypeDefinition type in module.Types)
        {
            var found = new HashSet<TypeDefinition>();
            Collect(type, found);
            found.Remove(type);
            _references[type] = found;
        }
    }

    /// <summary>Gets the top-level types of the assembly, each with the other top-level types it refers to.</summary>
    public IReadOnlyDictionary<TypeDefinition, HashSet<TypeDefinition>> ByType => _references;

    public static TypeReferences Read(string assemblyPath)
    {
        // Only the assembly's own types are followed, so nothing outside it needs resolving.
        ModuleDefinition module = ModuleDefinition.ReadModule(assemblyPath, new ReaderParameters { ReadSymbols = false });
        return new TypeReferences(module);
    }

    private void Collect(TypeDefinition type, HashSet<TypeDefinition> found)
    {
        Add(type.BaseType, found);
        foreach (InterfaceImplementation implemented in type.Interfaces)
        {
            Add(implemented.InterfaceType, found);
            AddAttributes(implemented.CustomAttributes, found);
        }

        AddAttributes(type.CustomAttributes, found);
        AddGenericParameters(type.GenericParameters, found);
        foreach (FieldDefinition field in type.Fields)
        {
            Add(field.FieldType, found);
            AddAttributes(field.CustomAttributes, found);
        }

        foreach (PropertyDefinition property in type.Properties)
        {
            Add(property.PropertyType, found);
            AddAttributes(property.CustomAttributes, found);
        }

        foreach (EventDefinition @event in type.Events)
        {
            Add(@event.EventType, found);
            AddAttributes(@event.CustomAttributes, found);
        }

        foreach (MethodDefinition method in type.Methods)
        {
            CollectMethod(method, found);
        }

        foreach (TypeDefinition nested in type.NestedTypes)
        {
            Collect(nested, found);
        }
    }

    private void CollectMethod(MethodDefinition method, HashSet<TypeDefinition> found)
    {
        AddSignature(method, found);
        AddAttributes(method.CustomAttributes, found);
        AddAttributes(method.MethodReturnType.CustomAttributes, found);
        AddGenericParameters(method.GenericParameters, found);
        foreach (ParameterDefinition parameter in method.Parameters)
        {
            AddAttributes(parameter.CustomAttributes, found);
        }

        if (!method.HasBody)
        {
            return;
        }

        foreach (VariableDefinition variable in method.Body.Variables)
        {
            Add(variable.VariableType, found);
        }

        foreach (ExceptionHandler handler in method.Body.ExceptionHandlers)
        {
            Add(handler.CatchType, found);
        }

        foreach (Instruction instruction in method.Body.Instructions)
        {
            switch (instruction.Operand)
            {
                case TypeReference typeOperand:
                    Add(typeOperand, found);
                    break;
                case MethodReference methodOperand:
                    AddSignature(methodOperand, found);
                    break;
                case FieldReference fieldOperand:
                    Add(fieldOperand.DeclaringType, found);
                    Add(fieldOperand.FieldType, found);
                    break;
                case CallSite callSite:
                    Add(callSite.ReturnType, found);
                    foreach (ParameterDefinition parameter in callSite.Parameters)
                    {
                        Add(parameter.ParameterType, found);
                    }

                    break;
            }
        }
    }

    private void AddSignature(MethodReference method, HashSet<TypeDefinition> found)
    {
        Add(method.DeclaringType, found);
        Add(method.ReturnType, found);
        foreach (ParameterDefinition parameter in method.Parameters)
        {
            Add(parameter.ParameterType, found);
        }

        if (method is GenericInstanceMethod generic)
        {
            foreach (TypeReference argument in generic.GenericArguments)
            {
                Add(argument, found);
            }
        }
    }

    private void AddGenericParameters(IEnumerable<GenericParameter> parameters, HashSet<TypeDefinition> found)
    {
        foreach (GenericParameter parameter in parameters)
        {
            foreach (GenericParameterConstraint constraint in parameter.Constraints)
            {
                Add(constraint.ConstraintType, found);
            }
        }
    }

    private void AddAttributes(IEnumerable<CustomAttribute> attributes, HashSet<TypeDefinition> found)
    {
        foreach (CustomAttribute attribute in attributes)
        {
            Add(attribute.AttributeType, found);
            foreach (CustomAttributeArgument argument in attribute.ConstructorArguments
                .Concat(attribute.Properties.Select(static p => p.Argument))
                .Concat(attribute.Fields.Select(static f => f.Argument)))
            {
                Add(argument.Type, found);
                if (argument.Value is TypeReference typeArgument)
                {
                    Add(typeArgument, found);
                }
            }
        }
    }

    private void Add(TypeReference? reference, HashSet<TypeDefinition> found)
    {
        switch (reference)
        {
            case null or GenericParameter:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, found);
                foreach (TypeReference argument in generic.GenericArguments)
                {
                    Add(argument, found);
                }

                return;
            case TypeSpecification specification: // arrays, by-refs, pointers, modifiers
                Add(specification.ElementType, found);
                return;
        }

        // The assembly's own types have it as their scope; anything else is another assembly's.
        if (reference.Scope != _module || reference.Resolve() is not { } definition)
        {
            return;
        }

        while (definition.DeclaringType is { } outer)
        {
            definition = outer;
        }

        found.Add(definition);
    }
}
