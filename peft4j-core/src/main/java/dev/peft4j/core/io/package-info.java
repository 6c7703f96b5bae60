/**
 * Adapter and checkpoint file I/O: a strict safetensors reader and writer that Python's
 * {@code safetensors} reads byte for byte, and atomic writes (temp file, fsync, rename) so that a
 * crash mid-save leaves the previous file intact. Plain Java and Jackson, no DJL.
 */
package dev.peft4j.core.io;
