/**
 * FourierFT (<a href="https://arxiv.org/abs/2405.03003">paper</a>): train a few spectral coefficients at fixed
 * random frequencies; the weight change is the real part of their 2-D inverse DFT.
 */
package dev.peft4j.core.method.fourierft;
