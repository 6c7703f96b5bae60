package dev.peft4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code peft4j pretrain vit|lm|dit}: the models no registry here serves, made here from real data (a ViT on
 * Fashion-MNIST; a Llama-architecture language model on public-domain English; a diffusion transformer on
 * Fashion-MNIST or MNIST), saved as bases to adapt.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pretrain a model from scratch and save it: vit (a small ViT on Fashion-MNIST), lm (a small "
                + "Llama on Moby-Dick and the State of the Union addresses) or dit (a small diffusion transformer on "
                + "Fashion-MNIST or MNIST).",
        subcommands = {PretrainVitCommand.class, PretrainLmCommand.class, PretrainDitCommand.class})
final class PretrainCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing the architecture to pretrain: 'pretrain vit', 'pretrain lm' or 'pretrain dit'");
    }
}
