<?xml version="1.0" encoding="utf-8"?>
<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->
<!--
  Turns the DocBook that gdbus-codegen writes for one D-Bus interface (its generate-docbook option) into a
  manual page of section 5, the section systemd gives its D-Bus APIs (org.freedesktop.login1(5)).

  gdbus-codegen writes a reference entry without the metadata a manual page needs, and titles the
  members "The "Event" signal", which DocBook's man stylesheet mangles. This stylesheet first
  rewrites the entry (section, source, manual, plain titles, SEE ALSO) and then hands the result
  to the stock stylesheet of the docbook-xsl package, resolved through the XML catalog.

  Parameters: version (the project's version, for the page footer) and interfacesdir (where the
  introspection files are installed).
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:exsl="http://exslt.org/common"
                exclude-result-prefixes="exsl">

  <xsl:import href="http://docbook.sourceforge.net/release/xsl/current/manpages/docbook.xsl"/>

  <xsl:param name="version" select="''"/>
  <xsl:param name="interfacesdir" select="'/usr/share/dbus-1/interfaces'"/>
  <!-- No build date in the footer: the same sources make the same page. -->
  <xsl:param name="man.th.extra1.suppress" select="1"/>
  <xsl:param name="man.output.quietly" select="1"/>
  <!-- Interface names are longer than the stylesheet's default of 20 characters for the header. -->
  <xsl:param name="man.th.title.max.length" select="40"/>
  <xsl:param name="refentry.meta.get.quietly" select="1"/>

  <!-- The interfaces that get a page; SEE ALSO names the others. -->
  <xsl:variable name="interfaces"
                select="'org.ttlock.Manager1 org.ttlock.Lock1 org.ttlock.Credentials1 org.ttlock.Settings1 '"/>

  <!-- Pass 1 rewrites the document and marks it with a processing instruction; pass 2 is the stock
       man stylesheet on the result. -->
  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="processing-instruction('ttlockd-fixed')">
        <xsl:apply-imports/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="fixed">
          <xsl:processing-instruction name="ttlockd-fixed"/>
          <xsl:apply-templates select="node()" mode="fixup"/>
        </xsl:variable>
        <xsl:apply-templates select="exsl:node-set($fixed)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="@*|node()" mode="fixup">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()" mode="fixup"/>
    </xsl:copy>
  </xsl:template>

  <!-- Index terms mean nothing in a manual page. -->
  <xsl:template match="indexterm" mode="fixup"/>

  <xsl:template match="refmeta" mode="fixup">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()" mode="fixup"/>
      <manvolnum>5</manvolnum>
      <refmiscinfo class="source">
        <xsl:value-of select="normalize-space(concat('ttlockd ', $version))"/>
      </refmiscinfo>
      <refmiscinfo class="manual">ttlockd D-Bus API</refmiscinfo>
    </xsl:copy>
  </xsl:template>

  <!-- "The Lock() method", "The "Event" signal" → "Lock() method", "Event signal". -->
  <xsl:template match="refsect2/title" mode="fixup">
    <title>
      <xsl:value-of select="translate(substring-after(., 'The '), '&quot;', '')"/>
    </title>
  </xsl:template>

  <xsl:template match="refentry" mode="fixup">
    <xsl:variable name="self" select="refnamediv/refname"/>
    <xsl:copy>
      <xsl:apply-templates select="@*|node()" mode="fixup"/>
      <refsect1>
        <title>See also</title>
        <para>
          <xsl:call-template name="see-also">
            <xsl:with-param name="list" select="$interfaces"/>
            <xsl:with-param name="self" select="$self"/>
          </xsl:call-template>
          <citerefentry><refentrytitle>ttlockd</refentrytitle><manvolnum>8</manvolnum></citerefentry>,
          <citerefentry><refentrytitle>ttlockctl</refentrytitle><manvolnum>1</manvolnum></citerefentry>,
          <citerefentry><refentrytitle>busctl</refentrytitle><manvolnum>1</manvolnum></citerefentry>,
          <citerefentry><refentrytitle>polkit</refentrytitle><manvolnum>8</manvolnum></citerefentry>.
          The introspection data this page is made from is installed in
          <filename><xsl:value-of select="concat($interfacesdir, '/', $self, '.xml')"/></filename>.
        </para>
      </refsect1>
    </xsl:copy>
  </xsl:template>

  <xsl:template name="see-also">
    <xsl:param name="list"/>
    <xsl:param name="self"/>
    <xsl:if test="$list != ''">
      <xsl:variable name="first" select="substring-before($list, ' ')"/>
      <xsl:if test="$first != $self">
        <citerefentry><refentrytitle><xsl:value-of select="$first"/></refentrytitle><manvolnum>5</manvolnum></citerefentry>,
      </xsl:if>
      <xsl:call-template name="see-also">
        <xsl:with-param name="list" select="substring-after($list, ' ')"/>
        <xsl:with-param name="self" select="$self"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
