"""Diagrams: a process's BPMNDI drawn as SVG, with a case's progress marked on it.

:mod:`engine.diagram.layout` reads shapes and edges (with the safe parser), ``draw`` and ``icons``
turn them into SVG elements, ``render`` assembles the picture and caches it, sizes it for a page
(``readable_zoom``: fitted, yet no word under 10 px) and lists its steps as text (``steps``); :mod:`engine.diagram.svg`
holds the small SVG and text-measuring helpers that other pictures (the API's charts) use too.
"""
from engine.diagram import svg
from engine.diagram.layout import DiagramUnavailable
from engine.diagram.render import (Marks, Step, case_diagram, layout_of, placeholder_svg, process_diagram,
                                   readable_zoom, render_svg, steps, workflow_marks)

__all__ = ["svg", "DiagramUnavailable", "Marks", "Step", "case_diagram", "layout_of", "placeholder_svg",
           "process_diagram", "readable_zoom", "render_svg", "steps", "workflow_marks"]
