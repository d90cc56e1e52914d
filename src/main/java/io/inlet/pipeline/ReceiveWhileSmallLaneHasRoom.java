package io.inlet.pipeline;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultPollingConsumerPollStrategy;

/**
 * The queue consumers' poll strategy: no receiving while the small lane is full ({@link SmallBatchTurns#hasRoom}).
 * The backlog stays on the queue, for any instance, rather than in this one's memory, where the messages would have
 * to be kept invisible; and every message received is planned at once, none waiting unheld behind a full lane. The
 * consumer tries again after its delay. One exception: while a tenant's batches fill its share of the workers and its
 * files all the room it may have, a receive every 200 ms goes on ({@link SmallBatchTurns#mayProbe}): other tenants'
 * messages may be on the queue behind its backlog, and a worker is kept for them.
 */
public final class ReceiveWhileSmallLaneHasRoom extends DefaultPollingConsumerPollStrategy {

    private final SmallBatchTurns smallLane;

    public ReceiveWhileSmallLaneHasRoom(SmallBatchTurns smallLane) {
        this.smallLane = smallLane;
    }

    @Override
    public boolean begin(Consumer consumer, Endpoint endpoint) {
        // a tenant's backlog that fills its share and its room leaves a worker idle for the others: a receive now
        // and then finds their messages behind it
        return smallLane.hasRoom() || smallLane.mayProbe();
    }
}
