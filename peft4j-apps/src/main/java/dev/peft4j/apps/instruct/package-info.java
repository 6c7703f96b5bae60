/**
 * Instruction tuning of a decoder (the paper's Table III setting): Alpaca-format instruction/response pairs, trained
 * with the response-masked causal-LM objective, scored by greedy generation on held-out words.
 */
package dev.peft4j.apps.instruct;
