using System.Linq.Expressions;
using Microsoft.AspNetCore.OData.Query.Expressions;
using Microsoft.OData.UriParser.Aggregation;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The library's $apply binder, with one change kept on top of it: the sum of a nullable property over
/// a group holding no value is null, as OData's aggregation extension says. The library's Sum becomes
/// COALESCE(SUM(…), 0) in EF Core, so a column with no figures would read as a real 0.
/// </summary>
internal sealed class NullSumAggregationBinder : AggregationBinder
{
    public override Expression BindSelect(TransformationNode transformationNode, QueryBinderContext context) =>
        new NullSum().Visit(base.BindSelect(transformationNode, context));

    private sealed class NullSum : ExpressionVisitor
    {
        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var call = (MethodCallExpression)base.VisitMethodCall(node);
            if (call.Method.Name != nameof(Enumerable.Sum) || call.Arguments.Count != 2 || Nullable.GetUnderlyingType(call.Type) is null
                || (call.Method.DeclaringType != typeof(Queryable) && call.Method.DeclaringType != typeof(Enumerable)))
            {
                return call;
            }

            var selector = (LambdaExpression)(call.Arguments[1] is UnaryExpression { NodeType: ExpressionType.Quote } quote ? quote.Operand : call.Arguments[1]);
            var element = selector.Parameters[0].Type;
            var hasValue = Expression.Lambda(Expression.NotEqual(selector.Body, Expression.Constant(null, selector.Body.Type)), selector.Parameters);
            var count = call.Method.DeclaringType == typeof(Queryable)
                ? Expression.Call(typeof(Queryable), nameof(Queryable.Count), [element], call.Arguments[0], Expression.Quote(hasValue))
                : Expression.Call(typeof(Enumerable), nameof(Enumerable.Count), [element], call.Arguments[0], hasValue);
            return Expression.Condition(Expression.Equal(count, Expression.Constant(0)), Expression.Constant(null, call.Type), call);
        }
    }
}
