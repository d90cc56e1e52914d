package io.inlet.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;

import io.inlet.Settings;
import io.inlet.Settings.Limits.Rates;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.junit.jupiter.api.Test;

/** A tenant's own limits: read per tenant, the defaults for the rest, and a misspelt key is an error at start. */
class TenantLimitSettingsTest {

    static final Rates DEFAULTS = new Rates(500, 1000, 64, 128);

    @Test
    void aTenantsOwnValuesReplaceOnlyTheDefaultsTheyName() {
        PropertiesComponent properties = properties("inlet.limits.tenant.acme-corp.requests-per-second", "5",
                "inlet.limits.tenant.acme-corp.bytes-burst", "1_000");

        assertThat(Settings.checkTenantLimitKeys(properties)).containsExactly("acme-corp");
        assertThat(Settings.tenantRates(properties, DEFAULTS, "acme-corp")).isEqualTo(new Rates(5, 1000, 64, 1000));
        assertThat(Settings.tenantRates(properties, DEFAULTS, "other")).isEqualTo(DEFAULTS);
    }

    @Test
    void aMisspeltOrNonPositiveTenantLimitStopsTheStart() {
        assertThatThrownBy(() -> Settings.checkTenantLimitKeys(properties("inlet.limits.tenant.acme.request-per-second", "5")))
                .hasMessage("Setting inlet.limits.tenant.acme.request-per-second does not name a tenant limit: expected "
                        + "inlet.limits.tenant.<tenant>.{requests-per-second|requests-burst|bytes-per-second|bytes-burst}");
        assertThatThrownBy(() -> Settings.checkTenantLimitKeys(properties("inlet.limits.tenant.acme.bytes-burst", "0")))
                .hasMessage("Setting inlet.limits.tenant.acme.bytes-burst must be 1 or more, not 0");
        assertThatThrownBy(() -> Settings.checkTenantLimitKeys(properties("inlet.limits.tenant.acme.bytes-burst", "1 GB")))
                .hasMessage("Setting inlet.limits.tenant.acme.bytes-burst must be a whole number, not '1 GB'");
    }

    /** The message gave the property's spelling of the rates, which is no variable name. */
    @Test
    void aMisspeltTenantLimitVariableIsToldInTheVariablesSpelling() {
        assertThatThrownBy(() -> Settings.checkTenantLimitKeys(properties(),
                java.util.Map.of("INLET_LIMITS_TENANT_DEV_REQUEST_PER_SECOND", "1")))
                .hasMessage("Setting INLET_LIMITS_TENANT_DEV_REQUEST_PER_SECOND does not name a tenant limit: expected "
                        + "INLET_LIMITS_TENANT_<TENANT>_{REQUESTS_PER_SECOND|REQUESTS_BURST|BYTES_PER_SECOND|BYTES_BURST}");
        assertThat(Settings.checkTenantLimitKeys(properties(), java.util.Map.of("INLET_LIMITS_TENANT_DEV_REQUESTS_PER_SECOND",
                "1"))).containsExactly("DEV");
    }

    private static PropertiesComponent properties(String... keysAndValues) {
        Properties given = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            given.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        PropertiesComponent properties = new DefaultCamelContext().getPropertiesComponent();
        properties.setInitialProperties(given);
        return properties;
    }
}
