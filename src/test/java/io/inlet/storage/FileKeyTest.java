package io.inlet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Keys other systems write into the inbox: only names of the layout are files of a tenant. */
class FileKeyTest {

    private static final String DIR = "data/tenants/objects/contact_event/source_system=crm/tenant=alpha/dt=";

    /** A day that does not exist was parsed only when the batch began, and failed the batch whole. */
    @ParameterizedTest
    @ValueSource(strings = {"2025-02-30-00-00", "2025-13-01-00-00", "2025-01-01-24-00", "2025-01-01-23-60",
            "2023-02-29-12-00"})
    void aDtThatIsNoMinuteIsNoFileKey(String dt) {
        assertThat(FileKey.parse(DIR + dt + "/f.jsonl")).isEmpty();
        // but a batch an earlier version planned with it is still settled by it
        assertThat(FileKey.ofManifest(DIR + dt + "/f.jsonl")).get().extracting(FileKey::tenant).isEqualTo("alpha");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024-02-29-23-59", "2025-12-31-00-00"})
    void aRealMinuteIsAFileKeyOfItsDay(String dt) {
        assertThat(FileKey.parse(DIR + dt + "/f.jsonl")).get().extracting(FileKey::receivedDate)
                .isEqualTo(LocalDate.parse(dt.substring(0, 10)));
    }
}
