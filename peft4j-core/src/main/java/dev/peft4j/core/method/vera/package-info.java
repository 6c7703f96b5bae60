/**
 * VeRA (<a href="https://arxiv.org/abs/2310.11454">paper</a>): one pair of frozen random projections shared by all
 * adapted layers, scaled per layer by two trainable vectors.
 */
package dev.peft4j.core.method.vera;
