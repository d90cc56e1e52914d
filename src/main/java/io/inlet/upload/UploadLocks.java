package io.inlet.upload;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import io.inlet.storage.FileKey;

/**
 * Keeps the work on one upload in this instance to one thread at a time: two confirms of one key must not both
 * copy it, and the expiry sweep must not expire an upload while it is being confirmed. Striped, so unrelated
 * keys do not wait for each other.
 */
public final class UploadLocks {

    private final ReentrantLock[] locks = new ReentrantLock[64];

    public UploadLocks() {
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    <T> T whileHeld(FileKey key, Supplier<T> work) {
        ReentrantLock lock = locks[Math.floorMod(key.key().hashCode(), locks.length)];
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }
}
