"""symphony"""
