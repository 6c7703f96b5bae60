/**
 * MELoRA (<a href="https://arxiv.org/abs/2402.17263">paper</a>): n mini LoRAs on the disjoint diagonal blocks of the
 * weight, a block-diagonal update of rank n·r for the trainable floats of one rank-r LoRA.
 */
package dev.peft4j.core.method.melora;
