/**
 * SVFit (<a href="https://arxiv.org/abs/2409.05926">paper</a>): train only the top-r singular values of each
 * targeted weight, with the singular vectors and the remainder frozen.
 */
package dev.peft4j.core.method.svfit;
