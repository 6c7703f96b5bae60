/** Helpers for reading and writing the files of a run: messages that name the path and the problem. */
package dev.peft4j.train.io;
