package io.inlet.sender;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The commands' worker pools: daemon threads, so a command that is done never waits for them to exit. */
final class DaemonThreads {

    private DaemonThreads() {
    }

    static ExecutorService pool(String name, int threads) {
        return Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
    }
}
