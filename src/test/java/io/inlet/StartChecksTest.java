package io.inlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Map;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletCli;
import org.junit.jupiter.api.Test;

/** What stops a start at once, instead of a service that runs on and misbehaves. */
class StartChecksTest {

    /** Two services on one data directory would run each other's batches and clear each other's scratch files. */
    @Test
    void aDataDirectoryInUseIsRefusedAndFreeAgainOnceTheServiceStopped() throws Exception {
        Settings settings;
        try (InletApp app = InletApp.start(Map.of())) {
            settings = app.settings();
            assertThatThrownBy(() -> DataDirectory.lock(settings)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Another Inlet service is running on the data directory " + settings.dataDir());
        }
        try (FileChannel free = DataDirectory.lock(settings)) {
            assertThat(free.isOpen()).isTrue();
        }
    }

    /**
     * The storage command on a directory a service runs on: its store's recovery at start cleared the service's
     * half-written uploads (their PUTs answered 500).
     */
    @Test
    void theStorageCommandRefusesADataDirectoryInUse() throws Exception {
        try (InletApp app = InletApp.start(Map.of())) {
            System.setProperty("inlet.data-dir", app.settings().dataDir().toString());
            try {
                InletCli.Run run = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> InletCli.run("storage"));
                assertThat(run.exitCode()).as(run.all()).isEqualTo(1);
                assertThat(run.err()).startsWith("Another Inlet service is running on the data directory "
                        + app.settings().dataDir());
            } finally {
                System.clearProperty("inlet.data-dir");
            }
        }
    }

    /** Vert.x only logged a taken port, and the process ran on without an API, never exiting for a supervisor. */
    @Test
    void aTakenApiPortStopsTheStart() throws Exception {
        int port = InletApp.freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("0.0.0.0", port));

            assertThatThrownBy(() -> InletApp.start(Map.of("camel.server.port", String.valueOf(port))))
                    .hasStackTraceContaining("The API cannot listen on 0.0.0.0:" + port + " (is the port taken? Set"
                            + " camel.server.port)");
        }
    }
}
