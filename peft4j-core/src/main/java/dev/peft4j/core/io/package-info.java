/**
 * Adapter and checkpoint file I/O: a strict safetensors reader and writer that Python's
 * {@code safetensors} reads byte for byte, atomic writes (temp file, fsync, rename) so that a
 * crash mid-save leaves the previous file intact, and whole-directory replacement with a SHA-256 manifest
 * ({@link dev.peft4j.core.io.AtomicDirectory}, {@link dev.peft4j.core.io.DirectoryManifest}). Plain Java and
 * Jackson, no DJL.
 */
package dev.peft4j.core.io;
