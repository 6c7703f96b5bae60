package dev.peft4j.train.loop;

import java.nio.file.Path;

/** A second process for {@link RunFolderTest}: claims a run folder, says so, and holds it until stdin closes. */
public final class RunFolderHolder {

    private RunFolderHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (RunFolder folder = RunFolder.claim(Path.of(args[0]), RunFolder.Mode.FRESH)) {
            System.out.println("claimed " + ProcessHandle.current().pid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the claim until the test closes our stdin or kills us
            }
        }
    }
}
