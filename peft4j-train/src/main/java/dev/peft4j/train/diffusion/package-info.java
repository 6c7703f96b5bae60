/**
 * Image generation with a diffusion model: the DDPM noise schedule and noise-prediction objective (trained by the
 * ordinary trainer), the deterministic DDIM sampler with classifier-free guidance, and PNG sample grids.
 */
package dev.peft4j.train.diffusion;
