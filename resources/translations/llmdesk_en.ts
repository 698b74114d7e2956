<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="en_US">
<context>
    <name></name>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform>
            <numerusform>%n tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Updating the search index of %n message(s) for this version of {app}…</source>
        <translation>
            <numerusform>Updating the search index of %n message for this version of {app}…</numerusform>
            <numerusform>Updating the search index of %n messages for this version of {app}…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> of %n tokens left</source>
        <translation>
            <numerusform> of %n token left</numerusform>
            <numerusform> of %n tokens left</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message numerus="yes">
        <source>Show %n earlier message(s) ({hidden} not shown)</source>
        <translation>
            <numerusform>Show %n earlier message</numerusform>
            <numerusform>Show %n earlier messages ({hidden} not shown)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatWindow</name>
    <message numerus="yes">
        <source> (%n more field(s) to fix)</source>
        <translation>
            <numerusform> (%n more field to fix)</numerusform>
            <numerusform> (%n more fields to fix)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message numerus="yes">
        <source>; %n oldest message(s) will not be sent ({tokens} in all)</source>
        <translation>
            <numerusform>; %n oldest message will not be sent ({tokens} in all)</numerusform>
            <numerusform>; %n oldest messages will not be sent ({tokens} in all)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message numerus="yes">
        <source>{title}
%n message(s), last active {when}</source>
        <translation>
            <numerusform>{title}
%n message, last active {when}</numerusform>
            <numerusform>{title}
%n messages, last active {when}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationTransfer</name>
    <message numerus="yes">
        <source>It will add %n conversation(s)</source>
        <translation>
            <numerusform>It will add %n conversation</numerusform>
            <numerusform>It will add %n conversations</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>with %n message(s).</source>
        <translation>
            <numerusform>with %n message.</numerusform>
            <numerusform>with %n messages.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of them as copies: a different version is already in the list.</source>
        <translation>
            <numerusform>%n of them as copies: a different version is already in the list.</numerusform>
            <numerusform>%n of them as copies: a different version is already in the list.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conversation(s) already in the list, unchanged, will be skipped.</source>
        <translation>
            <numerusform>%n conversation is already in the list, unchanged, and will be skipped.</numerusform>
            <numerusform>%n conversations are already in the list, unchanged, and will be skipped.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Imported %n conversation(s)</source>
        <translation>
            <numerusform>Imported %n conversation</numerusform>
            <numerusform>Imported %n conversations</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>(%n as copies of ones already in the list)</source>
        <translation>
            <numerusform>(%n as copies of ones already in the list)</numerusform>
            <numerusform>(%n as copies of ones already in the list)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; skipped %n already in the list</source>
        <translation>
            <numerusform>; skipped %n already in the list</numerusform>
            <numerusform>; skipped %n already in the list</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DownloadPanel</name>
    <message numerus="yes">
        <source>{model} is not downloaded yet: {size} to download (%n file(s)) into {folder}.</source>
        <translation>
            <numerusform>{model} is not downloaded yet: {size} to download (%n file) into {folder}.</numerusform>
            <numerusform>{model} is not downloaded yet: {size} to download (%n files) into {folder}.</numerusform>
        </translation>
    </message>
</context>
</TS>
