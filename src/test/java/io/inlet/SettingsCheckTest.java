package io.inlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import io.inlet.testing.InletProcess;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/**
 * A setting given a value the service cannot work with stops the start, naming the setting and what it takes: never a
 * value read as something else ("yes" as false), nor one accepted that fails every batch or every request later.
 */
class SettingsCheckTest {

    @Test
    void theShippedSettingsAreAccepted() {
        assertThat(settings().pipeline()).isNotNull();
    }

    @Test
    void aValueTheServiceCannotWorkWithStopsTheStartNamingTheSetting() {
        assertRefused("inlet.limits.enabled", "yes", "Setting inlet.limits.enabled must be true or false, not 'yes'");
        assertRefused("inlet.queue.embedded.enabled", "1", "Setting inlet.queue.embedded.enabled must be true or false, not '1'");
        assertRefused("inlet.lake.gzip-level", "12", "Setting inlet.lake.gzip-level must be from 0 to 9, not 12");
        assertRefused("inlet.upload.url-expiry", "P8D", "Setting inlet.upload.url-expiry must be at most PT168H, not 'P8D'");
        assertRefused("inlet.upload.url-expiry", "12h", "Setting inlet.upload.url-expiry must be an ISO-8601 duration"
                + " (such as PT24H or PT10M) of PT1S or more, not '12h'");
        assertRefused("inlet.s3.public-endpoint", "localhost:9000", "Setting inlet.s3.public-endpoint must be an http://"
                + " or https:// address such as http://localhost:9000, not 'localhost:9000'");
        assertRefused("inlet.pipeline.batch.window", "PT0S", "Setting inlet.pipeline.batch.window must be");
        assertRefused("inlet.queue.consumers", "0", "Setting inlet.queue.consumers must be 1 or more, not 0");
        // what SQS refuses: the queue could not be created on AWS
        assertRefused("inlet.queue.visibility-timeout-seconds", "50000", "Setting inlet.queue.visibility-timeout-seconds"
                + " must be from 1 to 43200, not 50000");
        assertRefused("inlet.upload.max-bytes", "-5", "Setting inlet.upload.max-bytes must be 1 or more, not -5");
        assertRefused("inlet.pipeline.workers", "3000000000", "Setting inlet.pipeline.workers must be at most 2147483647,"
                + " not 3000000000");
        assertRefused("inlet.upload-json.shared.gather-ms", "-10", "Setting inlet.upload-json.shared.gather-ms must be from"
                + " 0 to 1000, not -10");
        assertRefused("inlet.s3.embedded.uploads.min-bytes-per-second", "-1", "Setting"
                + " inlet.s3.embedded.uploads.min-bytes-per-second must be 1 or more, not -1");
    }

    /** A misspelt name would be ignored without a word, its default used: the start names it. */
    @Test
    void aNameThatIsNoSettingIsNamedAtStart() {
        System.setProperty("inlet.uplaod.max-bytes", "1");
        System.setProperty("inlet.upload.max-bytes", "1048576");
        try {
            DefaultCamelContext context = new DefaultCamelContext(false);
            context.getPropertiesComponent().setLocation("classpath:application.properties");
            context.build();
            assertThat(Settings.unknownSettings(context.getPropertiesComponent()))
                    .contains("-Dinlet.uplaod.max-bytes").doesNotContain("-Dinlet.upload.max-bytes");
            context.stop();
        } finally {
            System.clearProperty("inlet.uplaod.max-bytes");
            System.clearProperty("inlet.upload.max-bytes");
        }
    }

    private static void assertRefused(String key, String value, String message) {
        assertThatThrownBy(() -> settings(key, value)).as(key + "=" + value).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    private static Settings settings(String... keysAndValues) {
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            overrides.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return InletProcess.settings(overrides);
    }
}
