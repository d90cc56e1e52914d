package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inlet.Json;
import io.inlet.http.RequestLog;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.storage.embedded.EmbeddedS3;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.ZipFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The OpenAPI document served at /openapi.json against the running service: every documented path answers,
 * real answers (success and every documented error) validate against it with an OpenAPI 3.1 validator (Vert.x
 * OpenAPI: status, content type and body), it is the repo file with the schema files the service validates with,
 * and its field names are the reference's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiContractTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final Path RESOURCES = Path.of("src/main/resources");
    private static final List<String> UPLOAD_JSON = List.of("/ingestion/upload-json", "/ingestion/validate");
    private static final List<String> GENERATE = List.of("/ingestion/generate-upload-url", "/ingestion/request-upload-url");
    private static final List<String> CONFIRM = List.of("/ingestion/confirm-upload", "/ingestion/notify-upload-complete");
    /**
     * Documented answers not called up here. 409: no test can at will, it needs the file uploaded again between
     * confirm's size check and its copy. The metrics' 403: only a service without {@code inlet.metrics.token} answers
     * it (to another host, or through a proxy), and this one has a token, as every test app; with a token the same
     * scrape gets the 401 met below. A second service for that one answer would add its start and stop (~10 s).
     * upload-json's 409: it needs another request with the same Idempotency-Key still at work after 2 s (its instance
     * frozen or killed mid-request). The dry run's 500: it reads no storage, so nothing the test can take away fails it.
     */
    private static final int OPEN_UPLOADS = 30;
    private static final Set<String> NOT_PROVOKED = Set.of("confirmUpload 409", "notifyUploadComplete 409", "metrics 403",
            "uploadJson 409", "validateUploadJson 500",
            // the parsing budget's turn not coming in time (ParsingBudgetTest)
            "validateUploadJson 503", "generateUploadUrl 503", "requestUploadUrl 503",
            // a tenant's fifth page at once (UploadListTest)
            "listUploads 503",
            // only while the service starts or stops (StartupIT)
            "uploadStatus 503");
    /** Operations that take an API key: the tenant's rate limits apply to each (429). */
    private static final List<String> AUTHENTICATED = List.of("uploadJson", "validateUploadJson", "generateUploadUrl",
            "requestUploadUrl", "confirmUpload", "notifyUploadComplete", "uploadStatus", "listUploads");
    /** Tenants with limits of their own (settings below): one request a second, one at once; a bytes burst of 200. */
    private static final String LIMITED = "openapi-limited";
    private static final String BULKY = "openapi-bulky";
    /** The backlog bound in bytes: one file over it in the inbox makes the service refuse new work (503). */
    private static final int BACKLOG_BOUND = 1 << 20;
    private static final String METRICS = "/observe/metrics";
    private static final String VALID_CONTACTS = """
            {"stream":"contact","data":[{"contact_id":"c-1","email":"jane@acme.com","contact_properties":{}}]}""";
    private static final String GENERATE_BODY =
            "{\"stream\":\"contact_event\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"gzip\"}";

    static InletApp app;
    static BulkClient client;
    static Tenant tenant;
    static Tenant otherTenant;
    static Vertx vertx;
    static JsonNode served;
    static OpenAPIContract contract;
    static ResponseValidator validator;
    /** "operationId status" of every answer validated so far. */
    static final Set<String> seen = new TreeSet<>();
    /** Per confirm path: an upload URL requested at start, never used, that has expired by the time it is confirmed. */
    static final Map<String, BulkClient.Upload> expiring = new LinkedHashMap<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        app = InletApp.start(Map.ofEntries(
                // upload URLs expire while the test runs (410), uploads of over 300 bytes are too large (413)
                Map.entry("inlet.upload.url-expiry", "PT5S"),
                Map.entry("inlet.upload.expiry-grace", "PT0S"),
                Map.entry("inlet.upload.max-bytes", "300"),
                // 409 for a tenant holding 30 upload URLs neither confirmed nor expired (the test's tenants hold fewer)
                Map.entry("inlet.upload.max-pending", String.valueOf(OPEN_UPLOADS)),
                // 429 at the second quick request of one tenant; 413 for a body over another's bytes burst
                Map.entry("inlet.limits.tenant." + LIMITED + ".requests-per-second", "1"),
                Map.entry("inlet.limits.tenant." + LIMITED + ".requests-burst", "1"),
                Map.entry("inlet.limits.tenant." + BULKY + ".bytes-per-second", "100"),
                Map.entry("inlet.limits.tenant." + BULKY + ".bytes-burst", "200"),
                // 503 once a file of over 1 MiB waits in the inbox (the tests' own files are far smaller), seen within 0.2 s
                Map.entry("inlet.overload.max-backlog-bytes", String.valueOf(BACKLOG_BOUND)),
                Map.entry("inlet.overload.check-interval", "PT0.2S")));
        client = new BulkClient(app.baseUrl());
        tenant = app.newTenant("openapi");
        otherTenant = app.newTenant("openapi-other");
        for (String path : CONFIRM) {
            expiring.put(path, client.requestUrl(tenant.key(), "contact_event"));
        }
        vertx = Vertx.vertx();
        HttpResponse<String> document = app.get("/openapi.json", null);
        served = JSON.readTree(document.body());
        contract = await(OpenAPIContract.from(vertx, withoutTextAnswers(new JsonObject(document.body()))));
        validator = ResponseValidator.create(vertx, contract);
        answers("openApiDocument", document, 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        if (vertx != null) {
            vertx.close();
        }
    }

    @Test
    @Order(1)
    void everyDocumentedPathAnswers() {
        assertThat(contract.getPaths()).extracting(p -> p.getName()).contains("/ingestion/upload-json", "/ingestion/validate",
                "/ingestion/generate-upload-url", "/ingestion/request-upload-url", "/ingestion/confirm-upload",
                "/ingestion/notify-upload-complete", "/ingestion/uploads/status", "/ingestion/uploads", "/observe/health",
                "/observe/metrics",
                "/openapi.json");
        for (Operation operation : contract.operations()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + operation.getOpenAPIPath()))
                    .timeout(Duration.ofSeconds(30))
                    .method(operation.getHttpMethod().name(), operation.getRequestBody() == null
                            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
            if (operation.getRequestBody() != null) {
                request.header("Content-Type", "application/json");
            }
            HttpResponse<String> response = app.send(request.build());
            assertThat(response.body()).as(operation.getOperationId()).doesNotContain("No endpoint answers");
            answers(operation.getOperationId(), response);
        }
    }

    /**
     * Every path of the API is answered 503 with Retry-After, unread, while the service starts or stops (StartupIT
     * shows it): each says so.
     */
    @Test
    @Order(1)
    void everyApiOperationDocumentsTheRetryLaterOfAStartOrStop() throws IOException {
        JsonNode document;
        try (var in = OpenApiContractTest.class.getResourceAsStream("/openapi.json")) {
            document = JSON.readTree(in);
        }
        List<String> without = new ArrayList<>();
        document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
            if (path.getKey().startsWith("/ingestion/") && !operation.getValue().path("responses").has("503")) {
                without.add(operation.getKey() + " " + path.getKey());
            }
        }));
        assertThat(without).isEmpty();
    }

    /** upload-json and its dry run (validate): the same answers to the same requests, but for what upload-json stores. */
    @Test
    @Order(1)
    void uploadJsonAndItsDryRunAnswerAsDocumented() {
        String invalidRecord = "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c-1\",\"email\":\"nope\",\"contact_properties\":{}}]}";
        for (String path : UPLOAD_JSON) {
            String operation = operationOf(path);
            answers(operation, app.post(path, tenant.key(), VALID_CONTACTS), 200);
            answers(operation, app.post(path, tenant.key(), "{\"stream\":\"contact\",\"data\":["), 400);
            answers(operation, app.post(path, tenant.key(), "{\"stream\":\"contact\",\"data\":{}}"), 400);
            answers(operation, app.post(path, null, VALID_CONTACTS), 401);
            answers(operation, app.post(path, "inlet_not-a-key", VALID_CONTACTS), 401);
            answers(operation, app.post(path, tenant.key(), overOneMiB()), 413);
            answers(operation, postAs(path, "text/plain", VALID_CONTACTS), 415);
            answers(operation, app.post(path, tenant.key(), invalidRecord), 422);
            assertThat(documentAccepts(operation, VALID_CONTACTS)).isTrue();
        }

        // the document's request schema (the record schemas inlined) takes what the service takes, and only that
        String path = "/ingestion/upload-json";
        String example = served.at("/paths/~1ingestion~1upload-json/post/requestBody/content/application~1json/example").toString();
        assertThat(documentAccepts("uploadJson", example)).as("the document's example, the reference's").isTrue();
        answers("uploadJson", app.post(path, tenant.key(), example), 200);
        assertThat(documentAccepts("uploadJson", invalidRecord)).isFalse();
        assertThat(documentAccepts("uploadJson", "{\"stream\":\"account\",\"data\":[{\"contact_id\":\"c-1\","
                + "\"email\":\"jane@acme.com\",\"contact_properties\":{}}]}")).as("a contact sent as an account").isFalse();

        // with an Idempotency-Key: the first answer again (marked as a replay), 422 for another body, 400 for a bad key
        String key = UUID.randomUUID().toString();
        answers("uploadJson", withIdempotencyKey(key, VALID_CONTACTS), 200);
        HttpResponse<String> replayed = withIdempotencyKey(key, VALID_CONTACTS);
        answers("uploadJson", replayed, 200);
        assertThat(replayed.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        answers("uploadJson", withIdempotencyKey(key, VALID_CONTACTS.replace("c-1", "c-2")), 422);
        answers("uploadJson", withIdempotencyKey("x".repeat(256), VALID_CONTACTS), 400);
    }

    @Test
    @Order(1)
    void generateUploadUrlAnswersAsDocumented() {
        for (String path : GENERATE) {
            String operation = operationOf(path);
            answers(operation, app.post(path, tenant.key(), GENERATE_BODY), 200);
            answers(operation, app.post(path, tenant.key(), "{\"stream\":"), 400);
            answers(operation, app.post(path, null, GENERATE_BODY), 401);
            answers(operation, app.post(path, tenant.key(), overOneMiB()), 413);
            answers(operation, postAs(path, "text/plain", GENERATE_BODY), 415);
            answers(operation, app.post(path, tenant.key(), "{\"stream\":\"leads\",\"content_type\":\"text/csv\"}"), 422);
            assertThat(documentAccepts(operation, GENERATE_BODY)).isTrue();
            assertThat(documentAccepts(operation, "{\"stream\":\"leads\",\"content_type\":\"text/csv\"}")).isFalse();
        }
        Tenant hoarder = app.newTenant("openapi-hoarder");
        for (int i = 0; i < OPEN_UPLOADS; i++) {
            client.requestUrl(hoarder.key(), "contact_event");
        }
        for (String path : GENERATE) {
            answers(operationOf(path), app.post(path, hoarder.key(), GENERATE_BODY), 409);
        }
    }

    @Test
    @Order(1)
    void confirmUploadAnswersAsDocumented() throws IOException {
        Path small = gzip(dir.resolve("small.jsonl.gz"), 1);
        Path tooLarge = gzip(dir.resolve("large.jsonl.gz"), 40);
        assertThat(Files.size(small)).isLessThanOrEqualTo(300);
        assertThat(Files.size(tooLarge)).isGreaterThan(300);
        for (String path : CONFIRM) {
            String operation = operationOf(path);
            BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), small)).isEqualTo(200);
            answers(operation, app.post(path, tenant.key(), confirmBody(upload.fileKey())), 200);

            answers(operation, app.post(path, tenant.key(), "{\"file_key\":"), 400);
            answers(operation, app.post(path, null, confirmBody(upload.fileKey())), 401);
            BulkClient.Upload others = client.requestUrl(otherTenant.key(), "contact_event");
            answers(operation, app.post(path, tenant.key(), confirmBody(others.fileKey())), 403);
            answers(operation, app.post(path, tenant.key(), confirmBody("not/a/file/key")), 404);
            BulkClient.Upload notUploaded = client.requestUrl(tenant.key(), "contact_event");
            answers(operation, app.post(path, tenant.key(), confirmBody(notUploaded.fileKey())), 404);

            BulkClient.Upload large = client.requestUrl(tenant.key(), "contact_event");
            // the embedded S3 refuses the PUT itself; an S3 that cannot limit upload URLs (AWS) takes it
            assertThat(client.put(large.uploadUrl(), tooLarge)).isEqualTo(400);
            app.s3().putObject(b -> b.bucket(app.settings().landingBucket()).key(large.fileKey()),
                    RequestBody.fromFile(tooLarge));
            answers(operation, app.post(path, tenant.key(), confirmBody(large.fileKey())), 413);
            answers(operation, app.post(path, tenant.key(), overOneMiB()), 413);
            answers(operation, postAs(path, "text/plain", confirmBody(upload.fileKey())), 415);
            answers(operation, app.post(path, tenant.key(), "{\"file_key\":42}"), 422);
            assertThat(documentAccepts(operation, confirmBody(upload.fileKey()))).isTrue();
            assertThat(documentAccepts(operation, "{\"file_key\":42}")).isFalse();
        }
    }

    /** After the other tests, so that the URLs requested at start have had most of their 5 s. */
    @Test
    @Order(2)
    void anExpiredUploadIsGone() {
        for (String path : CONFIRM) {
            String operation = operationOf(path);
            // requested at start and never uploaded: 404 until its URL has expired, 410 from then on
            String expired = confirmBody(expiring.get(path).fileKey());
            List<HttpResponse<String>> late = new ArrayList<>();
            Await.until(path + " answering 410", Duration.ofSeconds(30), () -> {
                HttpResponse<String> response = app.post(path, tenant.key(), expired);
                if (response.statusCode() != 404) {
                    late.add(response);
                    return true;
                }
                answers(operation, response, 404);
                return false;
            });
            answers(operation, late.get(0), 410);
        }
    }

    @Test
    @Order(1)
    void uploadStatusAnswersAsDocumented() throws IOException {
        // A zip archive's status: an entry refused, and the other's one line (an upload-json body, not a record) rejected
        String zipKey = "data/tenants/objects/contact/source_system=crm-export/tenant=" + tenant.id() + "/dt=2025-06-01-00-00/export.zip";
        byte[] zip = ZipFiles.builder().deflated("notes.txt", "read me\n").deflated("contacts.jsonl", VALID_CONTACTS + "\n").bytes();
        app.s3().putObject(o -> o.bucket(app.settings().inboxBucket()).key(zipKey), RequestBody.fromBytes(zip));
        String fileKey = JSON.readTree(app.post("/ingestion/upload-json", tenant.key(), VALID_CONTACTS).body())
                .get("file_key").asText();
        BulkClient.Upload others = client.requestUrl(otherTenant.key(), "contact_event");
        answers("uploadStatus", client.status(tenant.key(), fileKey), 200);
        answers("uploadStatus", app.get("/ingestion/uploads/status", tenant.key()), 400);
        answers("uploadStatus", client.status("inlet_not-a-key", fileKey), 401);
        answers("uploadStatus", client.status(tenant.key(), others.fileKey()), 403);
        answers("uploadStatus", client.status(tenant.key(), "not-a-file-key"), 404);
        String unknown = fileKey.replaceAll("[0-9a-f-]{36}", UUID.randomUUID().toString());
        answers("uploadStatus", client.status(tenant.key(), unknown), 404);
        answers("health", app.get("/observe/health", null), 200);
        JsonNode zipStatus = client.awaitFinal(tenant.key(), zipKey, Duration.ofSeconds(30));
        assertThat(zipStatus.get("refused_entries").get(0).get("entry").asText()).isEqualTo("notes.txt");
        assertThat(zipStatus.get("first_rejections").get(0).get("entry").asText()).isEqualTo("contacts.jsonl");
        answers("uploadStatus", client.status(tenant.key(), zipKey), 200);
    }

    @Test
    @Order(1)
    void listUploadsAnswersAsDocumented() throws IOException {
        client.requestUrl(tenant.key(), "contact_event");
        HttpResponse<String> page = app.get("/ingestion/uploads?limit=1", tenant.key());
        answers("listUploads", page, 200);
        String cursor = JSON.readTree(page.body()).get("next_cursor").asText();
        answers("listUploads", app.get("/ingestion/uploads?limit=1&cursor=" + cursor, tenant.key()), 200);
        answers("listUploads", app.get("/ingestion/uploads", app.newTenant("openapi-empty").key()), 200);
        answers("listUploads", app.get("/ingestion/uploads?limit=201", tenant.key()), 400);
        answers("listUploads", app.get("/ingestion/uploads?cursor=not*a*cursor", tenant.key()), 400);
        answers("listUploads", app.get("/ingestion/uploads", "inlet_not-a-key"), 401);
    }

    /** The repo file and the served document never drift: the served one is the repo file with its schema files inlined. */
    @Test
    @Order(1)
    void theServedDocumentIsTheRepoFileWithTheSchemaFilesTheServiceValidatesWith() throws IOException {
        JsonNode repo = JSON.readTree(RESOURCES.resolve(OpenApiDocument.RESOURCE).toFile());
        ObjectNode expected = repo.deepCopy();
        ObjectNode schemas = (ObjectNode) expected.get("components").get("schemas");
        int files = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = repo.get("components").get("schemas").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode ref = entry.getValue().get("$ref");
            if (ref != null && !ref.asText().startsWith("#")) {
                schemas.set(entry.getKey(), JSON.readTree(RESOURCES.resolve(ref.asText()).toFile()));
                files++;
            }
        }
        assertThat(served).isEqualTo(expected);
        assertThat(files).isEqualTo(7);

        // the record schemas are the files RecordValidator loads, the request schemas those the routes' json-validator steps use
        for (Stream stream : Stream.values()) {
            assertThat(repo.at("/components/schemas/" + stream.wireName() + "/$ref").asText()).isEqualTo(stream.schemaResource());
            assertThat(served.at("/components/schemas/" + stream.wireName() + "/$schema").asText())
                    .isEqualTo("https://json-schema.org/draft/2020-12/schema");
        }
        String routes = routesText();
        for (String request : List.of("UploadJsonRequest", "GenerateUploadUrlRequest", "ConfirmUploadRequest")) {
            assertThat(routes).contains("json-validator:" + repo.at("/components/schemas/" + request + "/$ref").asText());
        }
        assertThat(served.get("openapi").asText()).isEqualTo("3.1.0");
        JsonNode apiKey = served.at("/components/securitySchemes/apiKey");
        assertThat(List.of(apiKey.get("type").asText(), apiKey.get("in").asText(), apiKey.get("name").asText()))
                .containsExactly("apiKey", "header", "x-api-key");
    }

    @Test
    @Order(1)
    void fieldNamesAreTheReferences() {
        JsonNode uploadJson = schema(served.at("/paths/~1ingestion~1upload-json/post/requestBody/content/application~1json/schema"));
        JsonNode envelope = schema(uploadJson.at("/allOf/0"));
        assertThat(names(envelope.get("properties"))).contains("stream", "data");
        assertThat(envelope.get("required")).extracting(JsonNode::asText).contains("stream", "data");
        assertThat(names(response("uploadJson"))).isEqualTo(Set.of("status", "message", "file_key"));

        for (String path : GENERATE) {
            JsonNode request = requestBody(path);
            assertThat(names(request.get("properties"))).contains("stream");
            assertThat(names(response(operationOf(path)))).isEqualTo(Set.of("upload_url", "file_key"));
        }
        for (String path : CONFIRM) {
            assertThat(names(requestBody(path).get("properties"))).isEqualTo(Set.of("file_key"));
            assertThat(names(response(operationOf(path)))).isEqualTo(Set.of("status", "message"));
        }
        JsonNode error = served.at("/components/schemas/Error/properties");
        assertThat(names(error)).contains("status", "message");
        assertThat(served.at("/paths/~1ingestion~1uploads~1status/get/parameters/0/name").asText()).isEqualTo("file_key");
    }

    /** A tenant over its own limits gets 429 with the documented headers from every authenticated operation. */
    @Test
    @Order(1)
    void overItsRateLimitsATenantIsRefusedAsDocumented() {
        Tenant limited = app.tenant(LIMITED);
        for (String operationId : AUTHENTICATED) {
            // one request a second, one at once: a second request right after the first is refused
            HttpResponse<String> refused = null;
            for (int i = 0; i < 5 && refused == null; i++) {
                HttpResponse<String> response = callAs(operationId, limited.key());
                if (response.statusCode() == 429) {
                    refused = response;
                }
                answers(operationId, response);
            }
            assertThat(refused).as(operationId + " refused within 5 requests").isNotNull();
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue("\"requests\";q=1;w=1;inlet-burst=1, "
                    + "\"bytes\";q=67108864;qu=\"content-bytes\";w=1;inlet-burst=4294967296");
            assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"requests\";r=0;t=1");
        }

        // a body over the tenant's bytes burst could never pass: 413, with the policy that says so
        Tenant bulky = app.tenant(BULKY);
        String batch = VALID_CONTACTS.replace("[{", "[" + "{\"contact_id\":\"c-0\",\"contact_properties\":{}},".repeat(4) + "{");
        assertThat(batch.length()).isGreaterThan(200);
        HttpResponse<String> tooMuch = app.post("/ingestion/upload-json", bulky.key(), batch);
        answers("uploadJson", tooMuch, 413);
        assertThat(tooMuch.body()).contains("its bytes burst");
        assertThat(tooMuch.headers().firstValue("RateLimit-Policy")).hasValueSatisfying(
                policy -> assertThat(policy).contains("inlet-burst=200"));
    }

    /**
     * A backlog over its bound: upload-json and confirm-upload answer 503 with Retry-After. Held as OverloadTest holds
     * one, with the queue consumer stopped, but with a single file over the bytes bound instead of many files; taken
     * away again before the S3 outage below.
     */
    @Test
    @Order(3)
    void overloadedTheServiceRefusesNewWorkAsDocumented() throws Exception {
        String bogus = confirmBody("not/a/file/key");
        String backlogKey = FileKey.create(Stream.CONTACT, FileKey.SOURCE_API, tenant.id(), Instant.now(), false).key();
        app.camel().getRouteController().stopRoute("inbox-queue");
        try {
            app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(backlogKey),
                    RequestBody.fromBytes(new byte[BACKLOG_BOUND + 1]));
            List<HttpResponse<String>> refused = new ArrayList<>();
            Await.until("confirm-upload answering 503", Duration.ofSeconds(10), () -> {
                HttpResponse<String> response = app.post(CONFIRM.get(0), tenant.key(), bogus);
                if (response.statusCode() == 503) {
                    refused.add(response);
                    return true;
                }
                answers(operationOf(CONFIRM.get(0)), response, 404);
                return false;
            });
            refused.add(app.post(CONFIRM.get(1), tenant.key(), bogus));
            refused.add(app.post("/ingestion/upload-json", tenant.key(), VALID_CONTACTS));
            // a dry run adds no work: not refused
            answers("validateUploadJson", app.post("/ingestion/validate", tenant.key(), VALID_CONTACTS), 200);
            answers(operationOf(CONFIRM.get(0)), refused.get(0), 503);
            answers(operationOf(CONFIRM.get(1)), refused.get(1), 503);
            answers("uploadJson", refused.get(2), 503);
            for (HttpResponse<String> response : refused) {
                assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(response.body()).contains("Inlet is overloaded");
            }
        } finally {
            app.s3().deleteObject(b -> b.bucket(app.settings().inboxBucket()).key(backlogKey));
            app.camel().getRouteController().startRoute("inbox-queue");
        }
        Await.until("the overload over", Duration.ofSeconds(10),
                () -> app.post(CONFIRM.get(0), tenant.key(), bogus).statusCode() == 404);
    }

    /** The metrics answer with the scrape token in either format, and 401 without it. */
    @Test
    @Order(1)
    void theMetricsAnswerAsDocumented() {
        HttpResponse<String> text = scrape("Bearer " + InletApp.SCRAPE_TOKEN, null);
        answersInText("metrics", text, 200);
        assertThat(text.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        assertThat(text.body()).contains("vertx_http_server_requests_total");
        // what Prometheus sends
        HttpResponse<String> openMetrics = scrape("Bearer " + InletApp.SCRAPE_TOKEN, "application/openmetrics-text;"
                + "version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        answersInText("metrics", openMetrics, 200);
        assertThat(openMetrics.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/openmetrics-text"));
        answers("metrics", scrape(null, null), 401);
        HttpResponse<String> wrongToken = scrape("Bearer not-" + InletApp.SCRAPE_TOKEN, null);
        answers("metrics", wrongToken, 401);
        assertThat(wrongToken.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    }

    /** X-Request-Id: a safe one sent is sent back, any other is replaced; the document requires it on every answer. */
    @Test
    @Order(1)
    void everyAnswerNamesItsRequestId() {
        HttpResponse<String> own = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/ingestion/uploads/status"))
                .header("x-api-key", tenant.key()).header(RequestLog.HEADER, "openapi.contract:1").GET().build());
        answers("uploadStatus", own, 400);
        assertThat(own.headers().firstValue(RequestLog.HEADER)).hasValue("openapi.contract:1");
        HttpResponse<String> unsafe = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/observe/health"))
                .header(RequestLog.HEADER, "not-safe/" + "x".repeat(200)).GET().build());
        answers("health", unsafe, 200);
        assertThat(unsafe.headers().firstValue(RequestLog.HEADER)).hasValueSatisfying(id -> assertThat(id).hasSize(36));
        assertThat(documentedRequestIdParameters()).as("operations taking the X-Request-Id parameter")
                .isEqualTo(contract.operations().size());
    }

    /** S3 gone: the API answers 500 and the health check 503, as documented (last: the app's S3 stays down). */
    @Test
    @Order(4)
    void withS3DownTheAnswersAreTheDocumentedFailures() throws Exception {
        app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class).stop();
        answers("health", app.get("/observe/health", null), 503);
        answers("uploadJson", app.post("/ingestion/upload-json", tenant.key(), VALID_CONTACTS), 500);
        answers("uploadJson", withIdempotencyKey(UUID.randomUUID().toString(), VALID_CONTACTS), 500);
        // a dry run needs no storage
        answers("validateUploadJson", app.post("/ingestion/validate", tenant.key(), VALID_CONTACTS), 200);
        for (String path : GENERATE) {
            answers(operationOf(path), app.post(path, tenant.key(), GENERATE_BODY), 500);
        }
        String ownKey = expiring.get(CONFIRM.get(0)).fileKey();
        for (String path : CONFIRM) {
            answers(operationOf(path), app.post(path, tenant.key(), confirmBody(ownKey)), 500);
        }
        answers("uploadStatus", client.status(tenant.key(), ownKey), 500);
        answers("listUploads", app.get("/ingestion/uploads", tenant.key()), 500);
    }

    /** Every status of every operation in the document was met in a real answer above. */
    @Test
    @Order(5)
    void everyDocumentedAnswerWasSeen() {
        Set<String> documented = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = served.get("paths").fields(); paths.hasNext(); ) {
            for (JsonNode operation : paths.next().getValue()) {
                operation.get("responses").fieldNames().forEachRemaining(
                        status -> documented.add(operation.get("operationId").asText() + " " + status));
            }
        }
        documented.removeAll(NOT_PROVOKED);
        assertThat(seen).containsAll(documented);
        assertThat(documented).containsAll(seen);
    }

    /** The validator used above refuses what the document does not allow: its passes mean something. */
    @Test
    @Order(1)
    void theValidatorRefusesAnswersTheDocumentDoesNotAllow() {
        String fileKey = "data/tenants/objects/contact/source_system=dataapi/tenant=t/dt=2026-01-01-00-00/x.jsonl";
        Buffer stored = Buffer.buffer("{\"status\":\"success\",\"message\":\"ok\",\"file_key\":\"" + fileKey + "\"}");
        assertThat(valid(ValidatableResponse.create(200, Map.of(RequestLog.HEADER, "r-1"), stored, "application/json"),
                "uploadJson")).isTrue();
        assertThat(valid(ValidatableResponse.create(200, Map.of(), stored, "application/json"), "uploadJson"))
                .as("X-Request-Id missing").isFalse();
        Buffer error = Buffer.buffer("{\"status\":\"error\",\"message\":\"x\",\"errors\":[]}");
        assertThat(valid(ValidatableResponse.create(429, Map.of(RequestLog.HEADER, "r-1"), error, "application/json"),
                "uploadJson")).as("a 429 without Retry-After and RateLimit headers").isFalse();
        assertThat(valid(ValidatableResponse.create(200, Buffer.buffer("{\"status\":\"success\",\"message\":\"ok\"}"),
                "application/json"), "uploadJson")).as("file_key missing").isFalse();
        assertThat(valid(ValidatableResponse.create(400, Buffer.buffer("{\"message\":\"bad\"}"), "application/json"),
                "uploadJson")).as("not the error model").isFalse();
        assertThat(valid(ValidatableResponse.create(404, Buffer.buffer("{\"status\":\"error\",\"message\":\"x\",\"errors\":[]}"),
                "application/json"), "uploadJson")).as("an undocumented status").isFalse();
        assertThat(valid(ValidatableResponse.create(401, Buffer.buffer("{\"status\":\"error\",\"message\":\"x\",\"errors\":[]}"),
                "text/plain"), "uploadJson")).as("another content type").isFalse();
    }

    private static boolean valid(ValidatableResponse response, String operationId) {
        try {
            await(validator.validate(response, operationId));
            return true;
        } catch (Exception refused) {
            return false;
        }
    }

    /** Whether the request body fits the operation's documented request schema. */
    private static boolean documentAccepts(String operationId, String body) {
        JsonSchema schema = contract.operation(operationId).getRequestBody().getContent().get("application/json").getSchema();
        return Boolean.TRUE.equals(contract.getSchemaRepository().validator(schema).validate(new JsonObject(body)).getValid());
    }

    /**
     * The document as the validator takes it. Vert.x OpenAPI 4.5 refuses a contract with a response in a non-JSON
     * media type, so the metrics' text answer is left out of the copy it gets ({@link #answersInText} checks those
     * answers against the served document instead); and it cannot decode a header value that starts with a quote,
     * as the Structured Field lists of RateLimit-Policy and RateLimit do, so those are left out too
     * ({@link #hasTheDocumentedHeaders} checks every documented header, these included).
     */
    private static JsonObject withoutTextAnswers(JsonObject document) {
        document.getJsonObject("paths").getJsonObject(METRICS).getJsonObject("get").getJsonObject("responses")
                .getJsonObject("200").remove("content");
        for (String response : document.getJsonObject("components").getJsonObject("responses").fieldNames()) {
            JsonObject headers = document.getJsonObject("components").getJsonObject("responses")
                    .getJsonObject(response).getJsonObject("headers");
            headers.remove("RateLimit-Policy");
            headers.remove("RateLimit");
        }
        return document;
    }

    /** Each header the served document names for this answer: there when required, and fitting its schema when there. */
    private static void hasTheDocumentedHeaders(String operationId, HttpResponse<String> response) {
        JsonNode documented = schema(operationNode(operationId).at("/responses/" + response.statusCode()));
        for (Iterator<Map.Entry<String, JsonNode>> headers = documented.path("headers").fields(); headers.hasNext(); ) {
            Map.Entry<String, JsonNode> header = headers.next();
            JsonNode definition = schema(header.getValue());
            String as = operationId + " " + response.statusCode() + " " + header.getKey();
            Optional<String> value = response.headers().firstValue(header.getKey());
            if (definition.path("required").asBoolean()) {
                assertThat(value).as(as).isPresent();
            }
            if (value.isEmpty()) {
                continue;
            }
            JsonNode valueSchema = definition.get("schema");
            if (valueSchema.has("pattern")) {
                assertThat(value.get()).as(as).matches(Pattern.compile(valueSchema.get("pattern").asText()));
            }
            if (valueSchema.path("type").asText().equals("integer")) {
                assertThat(Long.parseLong(value.get())).as(as).isGreaterThanOrEqualTo(valueSchema.path("minimum").asLong(0));
            }
        }
    }

    /**
     * A text answer (the metrics) against the served document: its status and media type are documented, it has a
     * body, and each header the document requires is there and fits its pattern.
     */
    private static void answersInText(String operationId, HttpResponse<String> response, int expectedStatus) {
        assertThat(response.statusCode()).as(operationId + " " + response.body()).isEqualTo(expectedStatus);
        JsonNode documented = schema(operationNode(operationId).at("/responses/" + expectedStatus));
        String mediaType = response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        assertThat(names(documented.get("content"))).as(operationId + " media types").contains(mediaType);
        assertThat(response.body()).isNotBlank();
        hasTheDocumentedHeaders(operationId, response);
        synchronized (seen) {
            seen.add(operationId + " " + response.statusCode());
        }
    }

    /** Validates the answer against the served document (status, content type, body) and that it is the expected one. */
    private static void answers(String operationId, HttpResponse<String> response, int expectedStatus) {
        assertThat(response.statusCode()).as(operationId + " " + response.body()).isEqualTo(expectedStatus);
        answers(operationId, response);
    }

    private static void answers(String operationId, HttpResponse<String> response) {
        Map<String, String> headers = new LinkedHashMap<>();
        response.headers().map().forEach((name, values) -> headers.put(name, values.get(0)));
        String contentType = response.headers().firstValue("Content-Type").orElse(null);
        ValidatableResponse validatable = ValidatableResponse.create(response.statusCode(), headers,
                Buffer.buffer(response.body()), contentType);
        try {
            await(validator.validate(validatable, operationId));
            hasTheDocumentedHeaders(operationId, response);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String details = cause instanceof SchemaValidationException invalid && invalid.getOutputUnit() != null
                    ? " " + invalid.getOutputUnit().toJson() : "";
            throw new AssertionError(operationId + " answered " + response.statusCode() + " " + contentType + " "
                    + response.body() + " which the document does not allow: " + cause + details, cause);
        }
        synchronized (seen) {
            seen.add(operationId + " " + response.statusCode());
        }
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String operationOf(String path) {
        return contract.operations().stream().filter(o -> o.getOpenAPIPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " is not documented")).getOperationId();
    }

    /** A valid call of the operation (its aliases' bodies are the same). */
    private static HttpResponse<String> callAs(String operationId, String apiKey) {
        return switch (operationId) {
            case "uploadJson" -> app.post("/ingestion/upload-json", apiKey, VALID_CONTACTS);
            case "validateUploadJson" -> app.post("/ingestion/validate", apiKey, VALID_CONTACTS);
            case "generateUploadUrl", "requestUploadUrl" -> app.post(pathOf(operationId), apiKey, GENERATE_BODY);
            case "confirmUpload", "notifyUploadComplete" -> app.post(pathOf(operationId), apiKey, confirmBody("not/a/file/key"));
            case "uploadStatus" -> client.status(apiKey, "not-a-file-key");
            case "listUploads" -> app.get("/ingestion/uploads", apiKey);
            default -> throw new AssertionError(operationId);
        };
    }

    private static String pathOf(String operationId) {
        return contract.operation(operationId).getOpenAPIPath();
    }

    private static HttpResponse<String> scrape(String authorization, String accept) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + "/observe/metrics"))
                .timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return app.send(request.build());
    }

    /** How many operations take the optional X-Request-Id request header. */
    private static long documentedRequestIdParameters() {
        return contract.operations().stream().filter(operation -> operation.getParameters().stream()
                .anyMatch(p -> p.getName().equals(RequestLog.HEADER) && !p.isRequired())).count();
    }

    private static HttpResponse<String> withIdempotencyKey(String key, String body) {
        return app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/ingestion/upload-json")).timeout(Duration.ofSeconds(30))
                .header("x-api-key", tenant.key()).header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> postAs(String path, String contentType, String body) {
        return app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", tenant.key()).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static String overOneMiB() {
        return "{\"stream\":\"contact\",\"data\":[{\"padding\":\"" + "x".repeat((1 << 20) + 1) + "\"}]}";
    }

    private static String confirmBody(String fileKey) {
        return "{\"file_key\":\"" + fileKey + "\"}";
    }

    private static Path gzip(Path file, int events) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            for (int i = 0; i < events; i++) {
                out.write(("{\"event_id\":\"e-" + i + "-" + UUID.randomUUID() + "\",\"contact_id\":\"c-1\","
                        + "\"event\":\"signed_up\",\"event_timestamp\":\"2025-06-27T07:26:00Z\",\"event_properties\":{}}\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        }
        return Files.write(file, bytes.toByteArray());
    }

    /** Follows local references ("#/components/...") to the schema they name. */
    private static JsonNode schema(JsonNode node) {
        while (node.has("$ref")) {
            node = served.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }

    private static JsonNode requestBody(String path) {
        JsonNode body = schema(served.at("/paths/" + path.replace("/", "~1") + "/post/requestBody"));
        return schema(body.at("/content/application~1json/schema"));
    }

    private static JsonNode response(String operationId) {
        JsonNode ok = schema(operationNode(operationId).at("/responses/200"));
        return schema(ok.at("/content/application~1json/schema")).get("properties");
    }

    /** The operation in the served document. */
    private static JsonNode operationNode(String operationId) {
        for (JsonNode path : served.get("paths")) {
            for (JsonNode operation : path) {
                if (operation.get("operationId").asText().equals(operationId)) {
                    return operation;
                }
            }
        }
        throw new AssertionError(operationId + " is not documented");
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String routesText() throws IOException {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                text.append(Files.readString(file));
            }
        }
        return text.toString();
    }
}
