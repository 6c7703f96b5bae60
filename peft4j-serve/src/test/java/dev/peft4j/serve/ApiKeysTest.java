package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys are random, shown once, stored as digests only, and survive a reopen; roles do not mix. */
class ApiKeysTest {

    @TempDir
    Path state;

    @Test
    void keysAreStoredAsDigestsAndResolveAfterAReopen() throws IOException {
        ApiKeys keys = ApiKeys.open(state);
        String admin = keys.initAdmin();
        assertTrue(admin.matches("pk-[A-Za-z0-9_-]{43}"), admin); // 32 bytes, URL-safe base64 without padding
        assertNull(keys.initAdmin(), "a second start must not replace the admin key");
        String one = keys.createTenantKey("one");
        String oneAgain = keys.createTenantKey("one");
        assertNotEquals(one, oneAgain);

        ApiKeys reopened = ApiKeys.open(state);
        assertTrue(reopened.isAdmin(admin));
        assertFalse(reopened.isAdmin(one));
        assertEquals("one", reopened.tenantOf(one));
        assertEquals("one", reopened.tenantOf(oneAgain));
        assertNull(reopened.tenantOf(admin), "the admin key is not a tenant key");
        assertNull(reopened.tenantOf("pk-unknown"));
        assertNull(reopened.tenantOf(null));
        assertFalse(reopened.isAdmin(null));

        String stored = Files.readString(state.resolve(ApiKeys.FILE));
        for (String key : new String[] {admin, one, oneAgain}) {
            assertFalse(stored.contains(key.substring(3)), "a key is stored in clear");
            assertTrue(stored.contains(ApiKeys.sha256(key)));
        }
    }

    @Test
    void aTenantNameOutsideTheAllowedCharactersIsRefused() throws IOException {
        ServeException e = assertThrows(ServeException.class, () -> ApiKeys.open(state).createTenantKey("../x"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("A-Z a-z 0-9 . _ -"), e.getMessage());
    }

    @Test
    void aCorruptKeysFileIsNamedWithTheWayOut() throws IOException {
        Files.writeString(state.resolve(ApiKeys.FILE), "{not json");
        IOException e = assertThrows(IOException.class, () -> ApiKeys.open(state));
        assertTrue(e.getMessage().contains(ApiKeys.FILE) && e.getMessage().contains("delete it"), e.getMessage());
    }
}
