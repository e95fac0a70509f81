using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Idempotency-Key handling. The first successful response to a key is stored in the same
/// transaction as the change it describes, so a retry after a timeout or crash either finds the
/// stored answer or finds nothing changed — never a half state.
/// </summary>
public static class Idempotency
{
    /// <summary>Request header name.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>Response header marking a replayed answer.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Reads and checks the header; returns the key, null when absent, or a problem.</summary>
    public static (string? Key, IResult? Problem) ReadKey(HttpRequest request)
    {
        var key = request.Headers[Header].ToString().Trim();
        if (key.Length == 0)
        {
            return (null, null);
        }

        return key.Length > 128
            ? (null, Problems.Result(400, "Idempotency-Key too long", "The Idempotency-Key header must be at most 128 characters; a UUID is a good choice."))
            : (key, null);
    }

    /// <summary>A digest of what the request asks for, to catch a key reused for another request.</summary>
    public static string Fingerprint(HttpRequest request, string body) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n{body}")));

    /// <summary>Looks for the stored answer to a key; returns a replay, a conflict problem, or null to proceed.</summary>
    public static async Task<IResult?> TryReplayAsync(ProcessServerDbContext db, string scope, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var record = await db.IdempotencyRecords.AsNoTracking()
            .SingleOrDefaultAsync(r => r.Scope == scope && r.Key == key, cancellationToken);
        if (record is null)
        {
            return null;
        }

        return record.RequestFingerprint == fingerprint
            ? new ReplayResult(record)
            : Problems.Result(422, "Idempotency-Key reused",
                $"The Idempotency-Key '{key}' was already used for a different request. Use a new key for a new request.");
    }

    /// <summary>Stages the record of a first response.</summary>
    public static void Stage(ProcessServerDbContext db, string scope, string key, string fingerprint, int status, string body, string? etag, string? location, DateTime now) =>
        db.IdempotencyRecords.Add(new IdempotencyRecord
        {
            Scope = scope,
            Key = key,
            RequestFingerprint = fingerprint,
            StatusCode = status,
            ResponseBody = body,
            ETag = etag,
            Location = location,
            CreatedAt = now,
        });

    /// <summary>Whether a failed save collided with a concurrent request using the same key.</summary>
    public static async Task<bool> KeyTakenAsync(ProcessServerDbContext db, string scope, string key, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        return await db.IdempotencyRecords.AnyAsync(r => r.Scope == scope && r.Key == key, cancellationToken);
    }

    private sealed class ReplayResult(IdempotencyRecord record) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = record.StatusCode;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers[ReplayedHeader] = "true";
            if (record.ETag is not null)
            {
                response.Headers.ETag = record.ETag;
            }

            if (record.Location is not null)
            {
                response.Headers.Location = record.Location;
            }

            return response.WriteAsync(record.ResponseBody);
        }
    }
}

/// <summary>A JSON response whose body text is fixed, so the stored idempotent answer and the first answer are byte-identical.</summary>
public sealed class StoredJsonResult(int status, string body, string? etag, string? location) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        if (location is not null)
        {
            response.Headers.Location = location;
        }

        return response.WriteAsync(body);
    }
}
