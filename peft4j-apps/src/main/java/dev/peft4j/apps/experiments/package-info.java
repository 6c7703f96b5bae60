/**
 * Experiment grids (methods x tasks x seeds), resumable, with paper-style tables and PNG plots.
 */
package dev.peft4j.apps.experiments;
