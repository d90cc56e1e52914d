package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.testing.CapturedLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first start with no keys: from a terminal, tenant dev is created and its key shown on the terminal, never in the
 * log; without one, nothing is created and the log says how to create a key; with keys, nothing happens.
 */
class DevTenantTest {

    @TempDir
    Path dir;

    @Test
    void fromATerminalTenantDevIsCreatedAndItsKeyShownThereOnlyOnce() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"));
        StringWriter terminal = new StringWriter();
        String log = CapturedLog.during(() -> DevTenant.createIfNoKeys(keys, Optional.of(new PrintWriter(terminal))));

        Matcher shown = Pattern.compile("Its API key, shown only this once:\\s+(inlet_\\S+)").matcher(terminal.toString());
        assertThat(shown.find()).as(terminal.toString()).isTrue();
        String key = shown.group(1);
        assertThat(keys.accepted(key)).hasValueSatisfying(k -> assertThat(k.tenant()).isEqualTo("dev"));
        assertThat(log).contains("tenant 'dev' was created").doesNotContain(key);

        // the next start has a key: nothing created, nothing shown
        StringWriter again = new StringWriter();
        DevTenant.createIfNoKeys(new ApiKeys(dir.resolve("api-keys.json")), Optional.of(new PrintWriter(again)));
        assertThat(again.toString()).isEmpty();
    }

    @Test
    void withoutATerminalNothingIsCreatedAndTheLogSaysHowToCreateAKey() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"));
        String log = CapturedLog.during(() -> DevTenant.createIfNoKeys(keys, Optional.empty()));

        assertThat(keys.isEmpty()).isTrue();
        assertThat(log).contains("No API keys exist").contains("keys create --tenant <id>");
    }
}
