<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="en_US">
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
