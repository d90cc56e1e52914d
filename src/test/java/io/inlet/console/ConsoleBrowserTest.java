package io.inlet.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's Chromium, headless, driven through Debian's chromedriver (both named
 * explicitly, so Selenium Manager never looks for or downloads a driver). A tenant signs in with the keyboard,
 * uploads a file with invalid lines through the page (presigned URL, a PUT from the browser straight to the
 * embedded S3, confirm), watches it complete, reads its rejected lines, and signs out. Skipped, saying which binary
 * is missing, where Chromium or chromedriver is not installed.
 */
class ConsoleBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    static InletApp app;
    static WebDriver browser;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        for (Path binary : List.of(CHROMIUM, CHROMEDRIVER)) {
            Assumptions.assumeTrue(Files.isExecutable(binary), "The console's browser test needs " + binary
                    + ", which is not installed here (Debian: apt-get install chromium chromium-driver)");
        }
        app = InletApp.shared();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // root (CI) cannot use Chromium's sandbox; /dev/shm is small in containers
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000");
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        browser = new ChromeDriver(driver, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aTenantSignsInUploadsAFileWatchesItCompleteReadsItsRejectionsAndSignsOut() throws IOException {
        Tenant tenant = app.newTenant("console");
        // 12 contact events, every 4th without its contact_id: lines 4, 8 and 12 are rejected
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "console", 12, 4, true);
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE);

        browser.get(app.baseUrl() + "/console");
        assertThat(browser.getCurrentUrl()).isEqualTo(app.baseUrl() + "/console/");
        WebElement key = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(browser.findElement(By.cssSelector("label[for=api-key]")).getText()).isEqualTo("API key");
        key.sendKeys(tenant.key(), Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("no-uploads")));
        assertThat(browser.findElement(By.id("sign-in")).isDisplayed()).isFalse();

        new Select(browser.findElement(By.id("stream"))).selectByValue("contact_event");
        browser.findElement(By.id("file")).sendKeys(file.path().toString());
        browser.findElement(By.id("upload-button")).click();
        wait.until(d -> text("upload-status").contains("uploaded and confirmed") || problemShown());
        assertThat(problemShown()).as(text("problem")).isFalse();
        assertThat(browser.findElement(By.id("upload-bar")).getDomProperty("value")).isEqualTo("100");
        assertThat(text("upload-figures")).endsWith("(100%)");

        By finished = By.cssSelector("#upload-rows tr[data-state=completed_with_errors]");
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(finished));
        List<String> cells = row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
        assertThat(cells.subList(1, 6)).containsExactly("contact_event", "completed with errors",
                Files.size(file.path()) + " bytes", "9", "3");
        assertThat(browser.findElements(By.cssSelector("#upload-rows tr"))).hasSize(1);
        assertThat(text("notice")).contains("completed with errors: 9 accepted, 3 rejected");

        WebElement details = row.findElement(By.tagName("button"));
        details.click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("rejections")));
        assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("details-heading");
        List<List<String>> rejections = browser.findElements(By.cssSelector("#rejection-rows tr")).stream()
                .map(tr -> tr.findElements(By.tagName("td")).stream().map(WebElement::getText).toList()).toList();
        assertThat(rejections).containsExactly(
                List.of("4", "/contact_id", "is required but missing"),
                List.of("8", "/contact_id", "is required but missing"),
                List.of("12", "/contact_id", "is required but missing"));
        assertThat(text("rejections-note")).startsWith("All 3 rejected lines.");
        browser.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        assertThat(browser.findElement(By.id("details")).isDisplayed()).isFalse();
        assertThat(browser.switchTo().activeElement()).isEqualTo(details);

        // the key is kept in this tab's session storage, and nowhere else
        assertThat(script("return sessionStorage.getItem('inlet.api-key')")).isEqualTo(tenant.key());
        assertThat(script("return localStorage.length")).isEqualTo(0L);
        assertThat(script("return document.cookie")).isEqualTo("");

        browser.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(script("return sessionStorage.getItem('inlet.api-key')")).isNull();
        assertThat(browser.findElements(By.cssSelector("#upload-rows tr"))).isEmpty();
        assertThat(browser.findElement(By.id("signed-in")).isDisplayed()).isFalse();
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getAttribute("textContent");
    }

    private static boolean problemShown() {
        return browser.findElement(By.id("problem")).isDisplayed();
    }

    private static Object script(String code) {
        return ((JavascriptExecutor) browser).executeScript(code);
    }
}
