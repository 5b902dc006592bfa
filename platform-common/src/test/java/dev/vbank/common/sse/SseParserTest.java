package dev.vbank.common.sse;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseParserTest {

    static List<SseParser.Event> parse(SseParser p, String stream) throws IOException {
        List<SseParser.Event> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(new StringReader(stream));
        String line;
        while ((line = r.readLine()) != null) {
            p.line(line).ifPresent(out::add);
        }
        return out;
    }

    @Test
    void multiLineDataJoinsWithNewlinesAndDropsOneLeadingSpace() throws IOException {
        List<SseParser.Event> events = parse(new SseParser(), "id: 7\ndata: {\"a\":\ndata:  1}\ndata\n\n");
        assertThat(events).containsExactly(new SseParser.Event("7", "message", "{\"a\":\n 1}\n"));
    }

    @Test
    void commentsAreSkippedAndCrLfAndCrEndLines() throws IOException {
        List<SseParser.Event> events = parse(new SseParser(), ": keep-alive\r\nid:a\r\ndata:x\r\n\r\n:only a comment\r\rdata: y\r\r");
        assertThat(events).extracting(SseParser.Event::data).containsExactly("x", "y");
        assertThat(events).extracting(SseParser.Event::id).containsExactly("a", "a");
    }

    @Test
    void idPersistsAcrossEventsIsSetWithoutDataAndIgnoresNul() throws IOException {
        SseParser p = new SseParser();
        List<SseParser.Event> events = parse(p, "id: e1\ndata: one\n\ndata: two\n\nid: e2\n\nid: bad\0id\ndata: three\n\n");
        assertThat(events).extracting(SseParser.Event::id).containsExactly("e1", "e1", "e2");
        assertThat(p.lastEventId()).isEqualTo("e2");
        parse(p, "id\ndata: reset\n\n");
        assertThat(p.lastEventId()).isNull();
    }

    @Test
    void retryTakesDigitsOnly() throws IOException {
        SseParser p = new SseParser();
        assertThat(p.retryMillis()).isEmpty();
        parse(p, "retry: 2500\n\n");
        assertThat(p.retryMillis()).contains(2500L);
        parse(p, "retry: 1.5\nretry: -3\nretry:\nretry: 99999999999999999999999\n\n");
        assertThat(p.retryMillis()).contains(2500L);
    }

    @Test
    void eventTypeAndUnterminatedEventAtTheEndIsDropped() throws IOException {
        SseParser p = new SseParser();
        List<SseParser.Event> events = parse(p, "event: progress\ndata: 1\n\ndata: 2\n\ndata: half");
        assertThat(events).extracting(SseParser.Event::type).containsExactly("progress", "message");
        p.reset();
        assertThat(parse(p, "\n")).isEmpty();
        assertThat(parse(p, "unknown: field\ndata: 3\n\n")).extracting(SseParser.Event::data).containsExactly("3");
    }
}
