/**
 * The adapter framework: linear slots that host named adapters, the method SPI and registry,
 * target matching, and {@link dev.peft4j.core.adapter.PeftModel}, the one-call wrapper.
 */
package dev.peft4j.core.adapter;
