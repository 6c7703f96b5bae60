/**
 * JMH micro-benchmarks behind the {@code peft4j bench} figures: LoLDU's linear forward against the plain and merged
 * linear at MiniLM sizes, and the truncated LU at several ranks. Not part of the normal test run; see
 * {@link dev.peft4j.bench.jmh.JmhRunner} for the one command that runs them.
 */
package dev.peft4j.bench.jmh;
