/**
 * LoLDU (<a href="https://arxiv.org/abs/2410.13618">paper</a>): train the diagonal of a truncated
 * LDU decomposition of each targeted weight.
 */
package dev.peft4j.core.method.loldu;
