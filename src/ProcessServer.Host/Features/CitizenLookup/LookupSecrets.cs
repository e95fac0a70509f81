using System.Security.Cryptography;
using System.Text;

namespace ProcessServer.Host.Features.CitizenLookup;

/// <summary>
/// The secret printed on the receipt that, with the receipt code, lets an applicant look up their
/// dossier. Eight characters of Crockford's base-32 alphabet (40 random bits; no I, L, O or U, so
/// it reads aloud and types without confusion), shown as XXXX-XXXX. Only a salted SHA-256 hash is
/// stored; guessing is held back by the look-up's rate limit.
/// </summary>
public static class LookupSecrets
{
    /// <summary>Response header carrying a newly issued secret.</summary>
    public const string Header = "Lookup-Secret";

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A new random secret, formatted XXXX-XXXX.</summary>
    public static string New()
    {
        Span<char> chars = stackalloc char[8];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return $"{chars[..4]}-{chars[4..]}";
    }

    /// <summary>The stored form: SHA-256 of the dossier id and the normalised secret, hex.</summary>
    public static string Hash(string dossierId, string secret) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{dossierId}:{Normalize(secret)}")));

    /// <summary>Whether <paramref name="secret"/> is the one whose hash is stored, compared in constant time.</summary>
    public static bool Matches(string dossierId, string? storedHash, string secret)
    {
        var presented = Encoding.ASCII.GetBytes(Hash(dossierId, secret));
        var stored = Encoding.ASCII.GetBytes(storedHash ?? new string('0', presented.Length));
        return CryptographicOperations.FixedTimeEquals(presented, stored) && storedHash is not null;
    }

    /// <summary>A secret as printed: normalised, XXXX-XXXX.</summary>
    public static string Format(string secret)
    {
        var plain = Normalize(secret);
        return plain.Length == 8 ? $"{plain[..4]}-{plain[4..]}" : plain;
    }

    /// <summary>Upper case, separators removed, and the letters people confuse read as the digits they look like.</summary>
    public static string Normalize(string secret)
    {
        var builder = new StringBuilder(secret.Length);
        foreach (var c in secret.ToUpperInvariant())
        {
            switch (c)
            {
                case '-' or ' ' or '.':
                    continue;
                case 'O':
                    builder.Append('0');
                    break;
                case 'I' or 'L':
                    builder.Append('1');
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }
}
