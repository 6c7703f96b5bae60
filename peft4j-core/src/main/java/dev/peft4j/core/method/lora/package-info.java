/**
 * LoRA (<a href="https://arxiv.org/abs/2106.09685">paper</a>): a trainable low-rank update {@code (alpha / r) B A}
 * beside the frozen weight; the baseline every other method is compared with, in peft's file layout.
 */
package dev.peft4j.core.method.lora;
