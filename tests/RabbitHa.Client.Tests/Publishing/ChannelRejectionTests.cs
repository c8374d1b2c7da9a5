using RabbitHa.Client.Internal.Publishing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RabbitHa.Client.Tests.Publishing;

[Trait("Category", "Unit")]
public sealed class ChannelRejectionTests
{
    [Theory]
    [InlineData(Constants.NotFound, "NOT_FOUND - no exchange 'orders' in vhost '/'")]
    [InlineData(Constants.AccessRefused, "ACCESS_REFUSED - access to exchange 'orders' in vhost 'shop' refused for user 'app'")]
    [InlineData(Constants.AccessRefused, "ACCESS_REFUSED - cannot publish to internal exchange 'orders' in vhost '/'")]
    public void Read_WhenTheAnswerNamesAnExchange_BlamesTheMessagesToIt(ushort code, string text)
    {
        var rejection = ChannelRejection.Read(Closed(code, text));

        Assert.Equal("orders", rejection.Exchange);
        Assert.True(rejection.RefusesExchange);
        Assert.Equal(RejectionVerdict.Culprit, rejection.Judge(Attempt("orders")));
        Assert.Equal(RejectionVerdict.Innocent, rejection.Judge(Attempt("payments")));
    }

    [Fact]
    public void Read_WhenATopicPermissionIsRefused_BlamesOnlyThatRoutingKey()
    {
        var rejection = ChannelRejection.Read(Closed(Constants.AccessRefused, "ACCESS_REFUSED - access to topic 'eu.vip' in exchange 'orders' in vhost '/' refused for user 'app'"));

        Assert.False(rejection.RefusesExchange);
        Assert.Equal(RejectionVerdict.Culprit, rejection.Judge(Attempt("orders", "eu.vip")));
        Assert.Equal(RejectionVerdict.Innocent, rejection.Judge(Attempt("orders", "eu.all")));
    }

    [Fact]
    public void Read_WhenTheBodyIsTooLarge_BlamesTheBodyOfThatSizeAndKnowsTheMaximum()
    {
        var rejection = ChannelRejection.Read(Closed(Constants.PreconditionFailed, "PRECONDITION_FAILED - message size 20000000 is larger than configured max size 16777216"));

        Assert.Equal(16777216, rejection.MaxMessageSize);
        Assert.Equal(RejectionVerdict.Culprit, rejection.Judge(Attempt(bodySize: 20_000_000)));
        Assert.Equal(RejectionVerdict.Innocent, rejection.Judge(Attempt(bodySize: 100)));
    }

    [Fact]
    public void Read_WhenTheExpirationIsInvalid_BlamesTheMessageWithThatExpiration()
    {
        var rejection = ChannelRejection.Read(Closed(Constants.PreconditionFailed, "PRECONDITION_FAILED - invalid expiration 'soon': no_integer"));

        Assert.Equal(RejectionVerdict.Culprit, rejection.Judge(Attempt(properties: new BasicProperties { Expiration = "soon" })));
        Assert.Equal(RejectionVerdict.Innocent, rejection.Judge(Attempt()));
    }

    [Fact]
    public void Read_WhenTheUserIdIsNotTheConnections_BlamesTheMessageClaimingIt()
    {
        var rejection = ChannelRejection.Read(Closed(Constants.PreconditionFailed, "PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'app'"));

        Assert.Equal(RejectionVerdict.Culprit, rejection.Judge(Attempt(properties: new BasicProperties { UserId = "bob" })));
        Assert.Equal(RejectionVerdict.Innocent, rejection.Judge(Attempt()));
    }

    [Fact]
    public void Read_WhenTheAnswerNamesNothingKnown_LeavesEveryMessageUnexplained()
    {
        var rejection = ChannelRejection.Read(Closed(Constants.PreconditionFailed, "PRECONDITION_FAILED - fast reply consumer does not exist"));

        Assert.Equal(RejectionVerdict.Unexplained, rejection.Judge(Attempt()));
        Assert.Equal("406 PRECONDITION_FAILED - fast reply consumer does not exist", rejection.Describe());
    }

    private static ShutdownEventArgs Closed(ushort code, string text) => new(ShutdownInitiator.Peer, code, text, 60, 40);

    private static PublishAttempt Attempt(string exchange = "", string routingKey = "q", int bodySize = 3, BasicProperties? properties = null)
    {
        var attempt = new PublishAttempt(null!, CancellationToken.None);
        attempt.Begin(exchange, routingKey, new byte[bodySize], properties ?? new BasicProperties { MessageId = "m" }, mandatory: true, activity: null, CancellationToken.None);
        return attempt;
    }
}
