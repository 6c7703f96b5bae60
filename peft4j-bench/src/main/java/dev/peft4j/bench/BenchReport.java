package dev.peft4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one {@code peft4j bench} run: the machine it ran on, one {@link Section} per measured part and the
 * issue's targets with their verdicts. Written as {@code <dir>/<name>.json} and printed as plain tables.
 */
public final class BenchReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Map<String, Object> environment;
    private final List<Section> sections = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();

    BenchReport(String name, Map<String, Object> environment) {
        this.name = name;
        this.environment = new LinkedHashMap<>(environment);
    }

    public String name() {
        return name;
    }

    void add(Section section) {
        sections.add(section);
    }

    void add(Target target) {
        targets.add(target);
    }

    /** Facts learnt after the run started, e.g. the load average at its end. */
    void putEnvironment(String key, Object value) {
        environment.put(key, value);
    }

    List<Section> sections() {
        return List.copyOf(sections);
    }

    List<Target> targets() {
        return List.copyOf(targets);
    }

    /** Every section's table, then the targets. */
    public String table() {
        StringBuilder out = new StringBuilder();
        out.append("peft4j bench '").append(name).append("'");
        environment.forEach((k, v) -> out.append(k.equals("started") ? "\n  " : ", ").append(k).append(' ').append(v));
        out.append("\n\n");
        sections.forEach(section -> out.append(section.format()).append('\n'));
        if (!targets.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (Target t : targets) {
                rows.add(List.of(t.name(), Section.fixed(t.measured(), 3),
                        (t.atLeast() ? ">= " : "<= ") + Section.fixed(t.limit(), 2), t.met() ? "met" : "MISSED"));
            }
            out.append(new Section("targets", "Targets (the issues' figures: training step, serving)",
                    List.of("target", "measured", "limit", "verdict"),
                    rows, null, List.of()).format());
        }
        return out.toString();
    }

    /** The whole report as nested maps and lists, in a stable order. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("environment", environment);
        sections.forEach(section -> json.put(section.key(), section.json()));
        json.put("targets", targets.stream().map(Target::toJson).toList());
        return json;
    }

    /** Writes {@code dir/<name>.json} atomically and returns its path. */
    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name + ".json");
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
        return file;
    }
}
