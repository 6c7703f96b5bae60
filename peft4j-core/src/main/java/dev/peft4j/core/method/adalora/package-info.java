/**
 * AdaLoRA (<a href="https://arxiv.org/abs/2303.10512">paper</a>): an SVD-shaped update {@code B diag(E) A} per weight
 * whose singular triplets a rank allocator prunes, by importance, from init_r to a budget of target_r per weight on
 * average, under an orthogonality regulariser; as peft's {@code tuners/adalora}.
 */
package dev.peft4j.core.method.adalora;
