package io.inlet.dropfolder;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultPollingConsumerPollStrategy;

/** The drop folder's poll strategy: each poll begins with every tenant's folder free to give files again. */
public final class DropFolderPolls extends DefaultPollingConsumerPollStrategy {

    private final DropFolderFilter filter;

    public DropFolderPolls(DropFolderFilter filter) {
        this.filter = filter;
    }

    @Override
    public boolean begin(Consumer consumer, Endpoint endpoint) {
        filter.newPoll();
        return true;
    }
}
