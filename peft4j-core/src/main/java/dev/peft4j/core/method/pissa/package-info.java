/**
 * PiSSA (<a href="https://arxiv.org/abs/2404.02948">paper</a>): LoRA whose factors start at the top-r singular
 * triplets of the weight, with the rest kept frozen as a residual.
 */
package dev.peft4j.core.method.pissa;
