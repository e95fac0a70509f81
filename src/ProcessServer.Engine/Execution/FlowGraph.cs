using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Execution;

/// <summary>Reachability questions over a flowchart, shared by migration and repair.</summary>
internal static class FlowGraph
{
    /// <summary>Every activity reachable from <paramref name="starts"/> along connections, the starts included.</summary>
    internal static HashSet<string> Reachable(CompiledWorkflow workflow, IEnumerable<string> starts)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(starts);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            if (!reachable.Add(id))
            {
                continue;
            }

            foreach (var connection in workflow.Connections.Where(c => c.Source == id))
            {
                queue.Enqueue(connection.Target);
            }
        }

        return reachable;
    }

    /// <summary>Each activity's number of connections on the shortest path from the receipt.</summary>
    internal static Dictionary<string, int> Distances(CompiledWorkflow workflow)
    {
        var distance = new Dictionary<string, int>(StringComparer.Ordinal) { [workflow.Start.Id] = 0 };
        var queue = new Queue<string>([workflow.Start.Id]);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            foreach (var connection in workflow.Connections.Where(c => c.Source == id))
            {
                if (distance.TryAdd(connection.Target, distance[id] + 1))
                {
                    queue.Enqueue(connection.Target);
                }
            }
        }

        return distance;
    }

    /// <summary>
    /// A join in the target that an open task can reach must be able to receive every one of its
    /// branches: each incoming branch is either already arrived or reachable from an open task.
    /// Otherwise the dossier would wait at the join forever.
    /// </summary>
    internal static IEnumerable<string> OrphanedBranches(CompiledWorkflow target, IReadOnlyList<string> openActivities,
        Dictionary<string, Dictionary<string, int>> arrivals)
    {
        var reachable = Reachable(target, openActivities);

        foreach (var join in target.Activities.Values.Where(a => a.Type.Kind == ActivityKind.Join && (reachable.Contains(a.Id) || arrivals.ContainsKey(a.Id))))
        {
            arrivals.TryGetValue(join.Id, out var arrived);
            foreach (var branch in target.Incoming[join.Id])
            {
                if (arrived?.ContainsKey(branch.Key) != true && !reachable.Contains(branch.Source))
                {
                    yield return $"a fork branch would be orphaned: join '{join.Id}' waits for the branch from '{branch.Source}', which no open task reaches";
                }
            }
        }
    }
}
