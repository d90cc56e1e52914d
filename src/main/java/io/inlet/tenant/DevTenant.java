package io.inlet.tenant;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** First start with no keys at all: create tenant {@code dev} so that the README quickstart needs no extra step. */
public final class DevTenant {

    private static final Logger LOG = LoggerFactory.getLogger(DevTenant.class);

    private DevTenant() {
    }

    public static void createIfNoKeys(ApiKeys keys) throws IOException {
        if (!keys.isEmpty()) {
            return;
        }
        ApiKeys.Minted minted = keys.create("dev");
        // The one deliberate exception to "keys never reach a log": the operator needs this key once and
        // has no other way to learn it; only its hash is kept.
        LOG.warn("""
                No API keys existed, so tenant 'dev' was created. Its API key is shown only this once \
                (only its hash is stored); mint others with `java -jar target/inlet.jar keys create --tenant <id>`:
                    {}""", minted.key());
    }
}
