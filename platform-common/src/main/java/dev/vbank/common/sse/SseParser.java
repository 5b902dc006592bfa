package dev.vbank.common.sse;

import java.util.Optional;

/**
 * A text/event-stream parser after the WHATWG rules, fed one line at a time (the line terminators already removed, as
 * {@link java.io.BufferedReader#readLine()} does for CR, LF and CRLF): {@code data} lines join with LF, comments
 * ({@code :...}) are skipped, one space after the colon is dropped, {@code id} (without NUL) becomes the last event id
 * when its event is dispatched, even one without data (an event cut off by the end of the stream leaves it as it was), {@code retry} takes digits only, and a blank line dispatches the event (none when it
 * carried no data).
 */
public final class SseParser {

    /** One dispatched event; {@code id} is the last event id at that point (possibly set by an earlier event). */
    public record Event(String id, String type, String data) {
    }

    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type = "";
    private String idBuffer;
    private String lastEventId;
    private Long retryMillis;

    public Optional<Event> line(String line) {
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.charAt(0) == ':') {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    idBuffer = value;
                }
            }
            case "retry" -> {
                if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    try {
                        retryMillis = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        // more digits than a long holds: ignored like any other invalid value
                    }
                }
            }
            default -> {
                // unknown fields are ignored
            }
        }
        return Optional.empty();
    }

    /** End of stream: an event that was not terminated by a blank line is discarded, as the spec says. */
    public void reset() {
        data.setLength(0);
        hasData = false;
        type = "";
        idBuffer = lastEventId;
    }

    public String lastEventId() {
        return lastEventId == null || lastEventId.isEmpty() ? null : lastEventId;
    }

    /** The reconnection delay the server asked for, if it did. */
    public Optional<Long> retryMillis() {
        return Optional.ofNullable(retryMillis);
    }

    private Optional<Event> dispatch() {
        lastEventId = idBuffer;
        if (!hasData) {
            type = "";
            return Optional.empty();
        }
        Event e = new Event(lastEventId(), type.isEmpty() ? "message" : type, data.toString());
        reset();
        return Optional.of(e);
    }
}
