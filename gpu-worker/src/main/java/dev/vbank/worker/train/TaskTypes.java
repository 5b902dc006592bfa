package dev.vbank.worker.train;

import dev.vbank.text.data.Example;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;

import java.math.BigDecimal;

/** What kind of task a dataset's labels make: the same rule for training and for a head-only baseline. */
public final class TaskTypes {
    private TaskTypes() {
    }

    /** Regression when every label is a number and some are fractions; otherwise classes. */
    public static TaskType of(RawDataset data) {
        boolean allNumbers = true;
        boolean fraction = false;
        for (Example e : data.examples()) {
            try {
                BigDecimal d = new BigDecimal(e.label());
                fraction |= d.stripTrailingZeros().scale() > 0;
            } catch (NumberFormatException ex) {
                allNumbers = false;
                break;
            }
        }
        return allNumbers && fraction ? TaskType.REGRESSION : TaskType.CLASSIFICATION;
    }
}
