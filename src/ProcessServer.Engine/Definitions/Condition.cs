using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Engine.Definitions;

/// <summary>
/// The condition language of <c>Elsa.FlowDecision</c> in ProcessServer: Boolean expressions over
/// dossier variables. A decision must either be understood completely or be refused with the position
/// of the problem; a language that guessed (the earlier one read everything after an operator as a
/// string) sent dossiers down the wrong branch without a word.
/// <list type="bullet">
/// <item><c>or</c> / <c>||</c>, <c>and</c> / <c>&amp;&amp;</c>, <c>not</c> / <c>!</c>, parentheses;</item>
/// <item>comparisons <c>== != &gt; &gt;= &lt; &lt;=</c> (JavaScript's <c>===</c> and <c>!==</c> read as <c>==</c> and <c>!=</c>);</item>
/// <item>numbers (<c>500</c>, <c>0.5</c>), text in single or double quotes, <c>true</c>, <c>false</c>,
/// <c>null</c>, dates as <c>date('2025-06-30')</c> or as quoted text compared with a date variable;</item>
/// <item>variable names (letters, digits, <c>_</c>, dotted paths into object variables).</item>
/// </list>
/// <see cref="Check"/> types the expression against the declared variables (what publishing does);
/// <see cref="Evaluate"/> never throws: a value of an unexpected kind at run time compares as unequal.
/// </summary>
public sealed class Condition
{
    private readonly Node _root;

    private Condition(string text, Node root, IReadOnlyList<VariableRead> reads)
    {
        Text = text;
        _root = root;
        Reads = reads;
    }

    /// <summary>The condition as written (trimmed).</summary>
    public string Text { get; }

    /// <summary>Every variable the condition reads, with its position.</summary>
    public IReadOnlyList<VariableRead> Reads { get; }

    /// <summary>The distinct variable names the condition reads.</summary>
    public IReadOnlyList<string> Variables => Reads.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The first variable the condition reads, if any.</summary>
    public string? Variable => Reads.Count == 0 ? null : Reads[0].Name;

    /// <summary>Parses a condition.</summary>
    /// <exception cref="ConditionSyntaxException">The text is not a condition; the message gives the position and the fix.</exception>
    public static Condition Parse(string text)
    {
        var trimmed = text.Trim();
        var offset = text.Length - text.TrimStart().Length;
        var parser = new Parser(trimmed, offset);
        var root = parser.ParseAll();
        return new Condition(trimmed, root, parser.Reads);
    }

    /// <summary>
    /// Types the condition against the declared variables: every name must be declared, compared
    /// values must be of the same kind (numbers with numbers, text with text, dates with dates),
    /// and what <c>and</c>, <c>or</c>, <c>not</c> and the decision itself read must be true/false.
    /// </summary>
    /// <returns>One message per problem, each starting with its position.</returns>
    public IReadOnlyList<string> Check(IReadOnlyDictionary<string, VariableDeclaration> declared)
    {
        var problems = new List<string>();
        var type = TypeOf(_root, declared, problems);
        RequireBoolean(_root, type, problems);
        return problems;
    }

    /// <summary>Evaluates the condition against dossier variables; a missing variable reads as null.</summary>
    public bool Evaluate(IReadOnlyDictionary<string, JsonNode?> variables) => Truthy(Eval(_root, variables));

    private static ValueKind KindOf(string typeName) => typeName.Trim() switch
    {
        "Boolean" => ValueKind.Boolean,
        "String" => ValueKind.Text,
        "Int16" or "Int32" or "Int64" or "Decimal" or "Double" or "Single" => ValueKind.Number,
        "DateTime" or "DateTimeOffset" or "DateOnly" => ValueKind.Date,
        _ => ValueKind.Any,
    };

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Boolean => "true/false",
        ValueKind.Text => "text",
        ValueKind.Number => "a number",
        ValueKind.Date => "a date",
        ValueKind.Null => "null",
        _ => "a value",
    };

    private static ValueKind TypeOf(Node node, IReadOnlyDictionary<string, VariableDeclaration> declared, List<string> problems)
    {
        switch (node)
        {
            case Literal literal:
                return literal.Kind;
            case VariableNode variable:
                if (declared.TryGetValue(variable.Name, out var declaration))
                {
                    return KindOf(declaration.TypeName);
                }

                var dot = variable.Name.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && declared.TryGetValue(variable.Name[..dot], out var parent))
                {
                    if (KindOf(parent.TypeName) != ValueKind.Any)
                    {
                        problems.Add($"position {variable.Position}: '{variable.Name[..dot]}' is {Describe(KindOf(parent.TypeName))}, so it has no '{variable.Name[(dot + 1)..]}'; declare it as Object or remove the path");
                    }

                    return ValueKind.Any;
                }

                var known = declared.Count == 0 ? "the procedure declares no variables" : $"declared: {string.Join(", ", declared.Keys.Order(StringComparer.Ordinal))}";
                problems.Add($"position {variable.Position}: '{variable.Name}' is not a declared variable; add it to the procedure's variables or correct the name ({known})");
                return ValueKind.Any;
            case Not not:
                RequireBoolean(not.Operand, TypeOf(not.Operand, declared, problems), problems);
                return ValueKind.Boolean;
            case Logical logical:
                RequireBoolean(logical.Left, TypeOf(logical.Left, declared, problems), problems);
                RequireBoolean(logical.Right, TypeOf(logical.Right, declared, problems), problems);
                return ValueKind.Boolean;
            case Comparison comparison:
                CheckComparison(comparison, TypeOf(comparison.Left, declared, problems), TypeOf(comparison.Right, declared, problems), problems);
                return ValueKind.Boolean;
            default:
                return ValueKind.Any;
        }
    }

    private static void RequireBoolean(Node node, ValueKind kind, List<string> problems)
    {
        if (kind is ValueKind.Boolean or ValueKind.Any)
        {
            return;
        }

        var what = node is VariableNode v ? $"'{v.Name}' is {Describe(kind)}" : $"this is {Describe(kind)}";
        var example = node is VariableNode n
            ? kind switch
            {
                ValueKind.Number => $"{n.Name} > 0",
                ValueKind.Text => $"{n.Name} == 'value'",
                ValueKind.Date => $"{n.Name} < date('2025-12-31')",
                _ => $"{n.Name} != null",
            }
            : "a comparison";
        problems.Add($"position {node.Position}: {what}, not true/false; compare it, e.g. {example}");
    }

    private static void CheckComparison(Comparison comparison, ValueKind left, ValueKind right, List<string> problems)
    {
        var ordering = comparison.Operator is not ("==" or "!=");
        if (left == ValueKind.Null || right == ValueKind.Null)
        {
            if (ordering)
            {
                problems.Add($"position {comparison.Position}: '{comparison.Operator}' cannot compare with null; use == null or != null");
            }

            return;
        }

        // Quoted text compared with a date variable is read as a date: it must be one.
        if (left == ValueKind.Date && comparison.Right is Literal { Kind: ValueKind.Text } rightText)
        {
            right = DateLiteral(rightText, problems);
        }
        else if (right == ValueKind.Date && comparison.Left is Literal { Kind: ValueKind.Text } leftText)
        {
            left = DateLiteral(leftText, problems);
        }

        if (left == ValueKind.Any || right == ValueKind.Any)
        {
            return;
        }

        if (left != right)
        {
            var hint = (left, right) switch
            {
                (ValueKind.Number, ValueKind.Text) or (ValueKind.Text, ValueKind.Number) => "write numbers without quotes",
                (ValueKind.Boolean, ValueKind.Text) or (ValueKind.Text, ValueKind.Boolean) => "write true or false without quotes",
                _ => "compare values of the same kind",
            };
            problems.Add($"position {comparison.Position}: '{comparison.Operator}' compares {Describe(left)} with {Describe(right)}; {hint}");
            return;
        }

        if (ordering && left == ValueKind.Boolean)
        {
            problems.Add($"position {comparison.Position}: true/false values are not ordered; use == or !=");
        }
    }

    private static ValueKind DateLiteral(Literal literal, List<string> problems)
    {
        if (TryDate(literal.Value as string, out _))
        {
            return ValueKind.Date;
        }

        problems.Add($"position {literal.Position}: '{literal.Value}' is compared with a date but is not one; write it as 2025-06-30 or 2025-06-30T17:00:00+07:00");
        return ValueKind.Any;
    }

    private static object? Eval(Node node, IReadOnlyDictionary<string, JsonNode?> variables)
    {
        switch (node)
        {
            case Literal literal:
                return literal.Value;
            case VariableNode variable:
                return Read(variable.Name, variables);
            case Not not:
                return !Truthy(Eval(not.Operand, variables));
            case Logical { Operator: "and" } and:
                return Truthy(Eval(and.Left, variables)) && Truthy(Eval(and.Right, variables));
            case Logical or:
                return Truthy(Eval(or.Left, variables)) || Truthy(Eval(or.Right, variables));
            case Comparison comparison:
                var order = Compare(Eval(comparison.Left, variables), Eval(comparison.Right, variables));
                return comparison.Operator switch
                {
                    "==" => order == 0,
                    "!=" => order != 0,
                    ">" => order is > 0 and not Incomparable,
                    ">=" => order is >= 0 and not Incomparable,
                    "<" => order < 0,
                    "<=" => order <= 0,
                    _ => false,
                };
            default:
                return null;
        }
    }

    /// <summary>Marks two values that cannot be ordered: equal to nothing, greater and smaller than nothing.</summary>
    private const int Incomparable = int.MaxValue;

    private static object? Read(string name, IReadOnlyDictionary<string, JsonNode?> variables)
    {
        if (variables.TryGetValue(name, out var whole))
        {
            return FromJson(whole);
        }

        var segments = name.Split('.');
        if (segments.Length < 2 || !variables.TryGetValue(segments[0], out var node))
        {
            return null;
        }

        foreach (var segment in segments.Skip(1))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child) ? child : null;
        }

        return FromJson(node);
    }

    private static object? FromJson(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return node;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                return VariableValues.TryReadNumber(value, out var number) ? number : (object)value.ToJsonString();
            case JsonValueKind.String:
                if (value.TryGetValue<DateTimeOffset>(out var instant) && !value.TryGetValue<string>(out _))
                {
                    return instant;
                }

                return value.TryGetValue<string>(out var text) ? text : value.ToJsonString();
            default:
                return null;
        }
    }

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        decimal d => d != 0,
        string s => s.Length > 0 && !s.Equals("false", StringComparison.OrdinalIgnoreCase),
        _ => true,
    };

    private static int Compare(object? left, object? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null ? 0 : Incomparable;
        }

        // Values of variables without a declared kind (Object) may hold numbers, flags or dates as
        // text; they are read as the kind they are compared with.
        switch (left, right)
        {
            case (decimal a, decimal b):
                return a.CompareTo(b);
            case (decimal a, string b) when TryNumber(b, out var n):
                return a.CompareTo(n);
            case (string a, decimal b) when TryNumber(a, out var n):
                return n.CompareTo(b);
            case (bool a, bool b):
                return a == b ? 0 : Incomparable;
            case (bool a, string b) when bool.TryParse(b.Trim(), out var f):
                return a == f ? 0 : Incomparable;
            case (string a, bool b) when bool.TryParse(a.Trim(), out var f):
                return f == b ? 0 : Incomparable;
            case (DateTimeOffset a, DateTimeOffset b):
                return a.CompareTo(b);
            case (DateTimeOffset a, string b) when TryDate(b, out var d):
                return a.CompareTo(d);
            case (string a, DateTimeOffset b) when TryDate(a, out var d):
                return d.CompareTo(b);
            case (string a, string b):
                return Math.Sign(string.CompareOrdinal(a, b));
            default:
                return Incomparable;
        }
    }

    private static bool TryNumber(string text, out decimal number) =>
        decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out number);

    private static bool TryDate(string? text, out DateTimeOffset date)
    {
        date = default;
        return text is { Length: >= 10 } && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);
    }

    private enum ValueKind
    {
        Any,
        Boolean,
        Number,
        Text,
        Date,
        Null,
    }

    private abstract record Node(int Position);

    private sealed record Literal(int Position, object? Value, ValueKind Kind) : Node(Position);

    private sealed record VariableNode(int Position, string Name) : Node(Position);

    private sealed record Not(int Position, Node Operand) : Node(Position);

    private sealed record Logical(int Position, string Operator, Node Left, Node Right) : Node(Position);

    private sealed record Comparison(int Position, string Operator, Node Left, Node Right) : Node(Position);

    private enum TokenKind
    {
        End,
        Number,
        Text,
        Name,
        Operator,
        Open,
        Close,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position, object? Value = null);

    /// <summary>A recursive-descent parser; positions are 1-based character positions in the text as written.</summary>
    private sealed class Parser
    {
        private const int MaxDepth = 64;

        private readonly List<Token> _tokens;
        private readonly string _text;
        private int _next;
        private int _depth;

        public Parser(string text, int offset)
        {
            _text = text;
            _tokens = Tokenize(text, offset);
        }

        public List<VariableRead> Reads { get; } = [];

        public Node ParseAll()
        {
            if (_tokens[0].Kind == TokenKind.End)
            {
                throw Error(_tokens[0], "the condition is empty; write one such as hasFinancialObligation or area > 500 and hasFinancialObligation");
            }

            var node = ParseOr();
            var rest = Peek;
            if (rest.Kind != TokenKind.End)
            {
                throw Error(rest, rest.Kind == TokenKind.Close
                    ? "')' has no matching '('; remove it or add the '('"
                    : $"'{rest.Text}' is not expected here; join conditions with and / or, e.g. a > 1 and b");
            }

            return node;
        }

        private Token Peek => _tokens[_next];

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (IsOperator(Peek, "||", "or"))
            {
                var op = Take();
                left = new Logical(op.Position, "or", left, Operand(op, ParseAnd));
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (IsOperator(Peek, "&&", "and"))
            {
                var op = Take();
                left = new Logical(op.Position, "and", left, Operand(op, ParseNot));
            }

            return left;
        }

        private Node ParseNot()
        {
            if (IsOperator(Peek, "!", "not"))
            {
                var op = Take();
                Enter(op);
                var operand = Operand(op, ParseNot);
                _depth--;
                return new Not(op.Position, operand);
            }

            return ParseComparison();
        }

        private Node ParseComparison()
        {
            var left = ParsePrimary();
            if (Peek.Kind == TokenKind.Operator && Peek.Text is "==" or "!=" or ">" or ">=" or "<" or "<=")
            {
                var op = Take();
                var right = Operand(op, ParsePrimary);
                if (Peek.Kind == TokenKind.Operator && Peek.Text is "==" or "!=" or ">" or ">=" or "<" or "<=")
                {
                    throw Error(Peek, "comparisons cannot be chained; join them with and, e.g. a > 1 and a < 5");
                }

                return new Comparison(op.Position, op.Text, left, right);
            }

            return left;
        }

        private Node ParsePrimary()
        {
            var token = Peek;
            switch (token.Kind)
            {
                case TokenKind.Number:
                    Take();
                    return new Literal(token.Position, token.Value, ValueKind.Number);
                case TokenKind.Text:
                    Take();
                    return new Literal(token.Position, token.Value, ValueKind.Text);
                case TokenKind.Open:
                    Take();
                    Enter(token);
                    var inner = Operand(token, ParseOr);
                    if (Peek.Kind != TokenKind.Close)
                    {
                        throw Error(Peek, $"the '(' at position {token.Position} is not closed; add ')'");
                    }

                    Take();
                    _depth--;
                    return inner;
                case TokenKind.Name:
                    Take();
                    switch (token.Text.ToLowerInvariant())
                    {
                        case "true":
                            return new Literal(token.Position, true, ValueKind.Boolean);
                        case "false":
                            return new Literal(token.Position, false, ValueKind.Boolean);
                        case "null":
                            return new Literal(token.Position, null, ValueKind.Null);
                    }

                    if (Peek.Kind == TokenKind.Open)
                    {
                        return Call(token);
                    }

                    Reads.Add(new VariableRead(token.Text, token.Position));
                    return new VariableNode(token.Position, token.Text);
                case TokenKind.End:
                    throw Error(token, "a value is missing at the end; finish the condition, e.g. area > 500");
                default:
                    throw Error(token, token.Kind == TokenKind.Close
                        ? "')' comes before any value; write a value or remove it"
                        : $"'{token.Text}' cannot start a value; write a variable name, a number, 'text', true or false");
            }
        }

        private Literal Call(Token name)
        {
            if (!name.Text.Equals("date", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(name, $"'{name.Text}(…)' is not available; the only function is date('2025-06-30')");
            }

            Take();
            var argument = Peek;
            if (argument.Kind != TokenKind.Text)
            {
                throw Error(argument, "date(…) takes a date in quotes, e.g. date('2025-06-30')");
            }

            Take();
            if (!TryDate((string)argument.Value!, out var date))
            {
                throw Error(argument, $"'{argument.Value}' is not a date; write it as 2025-06-30 or 2025-06-30T17:00:00+07:00");
            }

            if (Peek.Kind != TokenKind.Close)
            {
                throw Error(Peek, "date(…) takes one date; close it with ')'");
            }

            Take();
            return new Literal(name.Position, date, ValueKind.Date);
        }

        private Node Operand(Token after, Func<Node> parse)
        {
            if (Peek.Kind == TokenKind.End)
            {
                throw Error(Peek, $"a value is missing after '{after.Text}'; finish the condition");
            }

            return parse();
        }

        private void Enter(Token token)
        {
            if (++_depth > MaxDepth)
            {
                throw Error(token, $"the condition nests deeper than {MaxDepth} levels; simplify it");
            }
        }

        private Token Take() => _tokens[_next++];

        private static bool IsOperator(Token token, string symbol, string word) =>
            (token.Kind == TokenKind.Operator && token.Text == symbol)
            || (token.Kind == TokenKind.Name && token.Text.Equals(word, StringComparison.OrdinalIgnoreCase));

        private ConditionSyntaxException Error(Token token, string message) =>
            new(token.Position, $"position {token.Position}: {message} (condition: {_text})");

        private static List<Token> Tokenize(string text, int offset)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (true)
            {
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }

                var position = offset + i + 1;
                if (i >= text.Length)
                {
                    tokens.Add(new Token(TokenKind.End, "end", position));
                    return tokens;
                }

                var c = text[i];
                if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
                {
                    var start = i;
                    while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
                    {
                        i++;
                    }

                    var number = text[start..i];
                    if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
                    {
                        throw new ConditionSyntaxException(position, $"position {position}: '{number}' is not a number; write numbers like 500 or 0.5 (condition: {text})");
                    }

                    if (i < text.Length && (char.IsLetter(text[i]) || text[i] == '_'))
                    {
                        throw new ConditionSyntaxException(position, $"position {position}: '{number}{text[i]}…' mixes a number and a name; put a space or an operator between them (condition: {text})");
                    }

                    tokens.Add(new Token(TokenKind.Number, number, position, value));
                }
                else if (c is '\'' or '"')
                {
                    var builder = new StringBuilder();
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new ConditionSyntaxException(position, $"position {position}: the text starting here is not closed; add the closing {c} (condition: {text})");
                        }

                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            builder.Append(text[i + 1]);
                            i += 2;
                            continue;
                        }

                        if (text[i] == c)
                        {
                            i++;
                            break;
                        }

                        builder.Append(text[i++]);
                    }

                    tokens.Add(new Token(TokenKind.Text, text[(position - offset - 1)..i], position, builder.ToString()));
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || (text[i] == '.' && i + 1 < text.Length && (char.IsLetter(text[i + 1]) || text[i + 1] == '_'))))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Name, text[start..i], position));
                }
                else if (c == '(')
                {
                    i++;
                    tokens.Add(new Token(TokenKind.Open, "(", position));
                }
                else if (c == ')')
                {
                    i++;
                    tokens.Add(new Token(TokenKind.Close, ")", position));
                }
                else
                {
                    var symbol = ReadOperator(text, i);
                    if (symbol is null)
                    {
                        var hint = c switch
                        {
                            '=' => "use == to compare",
                            '&' => "use && or and",
                            '|' => "use || or or",
                            _ => "conditions use names, numbers, 'text', comparisons, and, or, not and parentheses",
                        };
                        throw new ConditionSyntaxException(position, $"position {position}: '{c}' is not understood; {hint} (condition: {text})");
                    }

                    i += symbol.Length;
                    var normalized = symbol switch
                    {
                        "===" => "==",
                        "!==" => "!=",
                        _ => symbol,
                    };
                    if (normalized == "<>")
                    {
                        throw new ConditionSyntaxException(position, $"position {position}: '<>' is not an operator here; use != (condition: {text})");
                    }

                    tokens.Add(new Token(TokenKind.Operator, normalized, position));
                }
            }
        }

        private static string? ReadOperator(string text, int i)
        {
            foreach (var symbol in new[] { "===", "!==", "==", "!=", ">=", "<=", "<>", "&&", "||", ">", "<", "!" })
            {
                if (string.CompareOrdinal(text, i, symbol, 0, symbol.Length) == 0)
                {
                    return symbol;
                }
            }

            return null;
        }
    }
}

/// <summary>A variable a condition reads.</summary>
/// <param name="Name">Variable name (a dotted path reads into an object variable).</param>
/// <param name="Position">1-based character position in the condition.</param>
public sealed record VariableRead(string Name, int Position);

/// <summary>A condition that cannot be parsed; <see cref="Position"/> is where the problem is.</summary>
public sealed class ConditionSyntaxException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ConditionSyntaxException(int position, string message)
        : base(message) => Position = position;

    /// <summary>1-based character position of the problem.</summary>
    public int Position { get; }
}
