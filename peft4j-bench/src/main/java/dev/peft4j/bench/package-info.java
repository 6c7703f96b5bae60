/**
 * {@code peft4j bench}: where the time and memory of LoLDU training and inference go on this machine, measured in
 * one run (warm-up, then medians of repeated measurements) and reported as ratios to a floor and to the engine's
 * GEMM ceiling, with an analytic FLOP count ({@link dev.peft4j.bench.FlopCounter}).
 */
package dev.peft4j.bench;
