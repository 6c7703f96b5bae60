package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Finds a pretrained model's jar on the test classpath (a test-scope dependency of this module). */
final class ModelJars {

    private ModelJars() {
    }

    static Path jar(PretrainedModel model) {
        URL url = ModelJars.class.getClassLoader().getResource(model.weightsEntry());
        assertNotNull(url, model.weightsEntry() + " is not on the test classpath; peft4j-models/pom.xml must list "
                + model.coordinates() + " as a test dependency (run mvn once online to fetch it)");
        try {
            return Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
        } catch (IOException | URISyntaxException | ClassCastException e) {
            throw new IllegalStateException("Cannot turn " + url + " into a jar path", e);
        }
    }
}
